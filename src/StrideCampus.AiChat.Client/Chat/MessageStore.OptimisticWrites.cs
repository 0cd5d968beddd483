namespace StrideCampus.AiChat.Client.Chat;

/// <summary>What every optimistic write shares: ending its pending change, rolling it back, and the typed error.</summary>
public sealed partial class MessageStore
{
    private void PopSessions(long token, List<Guid> ids)
    {
        foreach (var id in ids)
        {
            _core.PopSession(token, id);
        }
    }

    private Exception RollBackSessions(ChatOperation operation, Guid? id, long token, List<Guid> ids, Exception cause)
    {
        using (EnterGate())
        {
            PopSessions(token, ids);
            PublishLocked();
        }

        return Fail(operation, id, cause);
    }

    private Exception RollBackMessage(ChatOperation operation, Guid id, long token, Exception cause)
    {
        using (EnterGate())
        {
            _core.PopMessage(token, id);
            PublishLocked();
        }

        return Fail(operation, id, cause);
    }

    private Exception Fail(ChatOperation operation, Guid? id, Exception cause)
    {
        ChatLog.WriteRolledBack(_logger, operation, id, cause);
        return cause switch
        {
            // The caller's cancellation stays a cancellation; an HTTP timeout (TaskCanceledException wrapping a
            // TimeoutException) is a failed write the app must be able to show, so it becomes the typed error.
            OperationCanceledException when cause.InnerException is not TimeoutException => cause,
            ChatOperationException => cause,
            ArgumentException => cause,
            ObjectDisposedException => cause,
            _ => new ChatOperationException(operation, id, cause),
        };
    }

    private ChatSession RequireSession(Guid sessionId) =>
        _core.GetVisibleSession(sessionId) ?? throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
}
