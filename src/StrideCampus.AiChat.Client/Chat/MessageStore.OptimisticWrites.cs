namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// What every optimistic write shares: an action describes its write (<see cref="OptimisticWrite{TRow, TResult}"/>) and
/// <see cref="WriteAsync"/> runs it; rolling back and the typed error are the same for all.
/// </summary>
public partial class MessageStore
{
    /// <summary>
    /// Runs an optimistic write: shows its pending values at once, makes the server call, applies the answer and ends
    /// the pending values; when the call fails, removes them (the rollback is the same for every write) and throws the
    /// typed error.
    /// </summary>
    private async Task<TResult> WriteAsync<TRow, TResult>(OptimisticWrite<TRow, TResult> write, CancellationToken cancellationToken)
    {
        PendingChange change;
        using (EnterGate())
        {
            change = new PendingChange(this, NewToken());
            write.Show(change); // throws (nothing shown) on bad input
            PublishLocked();
        }

        try
        {
            var row = await write.Call(cancellationToken).ConfigureAwait(false);
            using (EnterGate())
            {
                write.Apply?.Invoke(row);
                change.End();
                PublishLocked();
                return write.Result(row);
            }
        }
        catch (Exception ex)
        {
            using (EnterGate())
            {
                change.End();
                PublishLocked();
            }

            throw Fail(write.Operation, write.Id, ex);
        }
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

    /// <summary>
    /// An optimistic write, described: what to show at once, the server call, how to apply its answer, and what the
    /// action returns once its pending values ended. <see cref="Show"/>, <see cref="Apply"/> and <see cref="Result"/>
    /// run under the lock; <see cref="Call"/> runs without it.
    /// </summary>
    private sealed class OptimisticWrite<TRow, TResult>
    {
        public required ChatOperation Operation { get; init; }

        /// <summary>The row the error names (null: several).</summary>
        public Guid? Id { get; init; }

        public required Action<PendingChange> Show { get; init; }

        public required Func<CancellationToken, Task<TRow>> Call { get; init; }

        public Action<TRow>? Apply { get; init; }

        public required Func<TRow, TResult> Result { get; init; }
    }

    /// <summary>The pending values one write shows, under one token; <see cref="End"/> removes them (confirmed or rolled back).</summary>
    private sealed class PendingChange(MessageStore store, long token)
    {
        private readonly List<Guid> _sessions = [];
        private Guid? _message;

        public void ShowSession(Guid id, ChatSession? value)
        {
            store.ApplyLocked(new StoreEvent.PendingSessionShown(token, id, value));
            _sessions.Add(id);
        }

        /// <summary>Shows a pending message value; false when the store holds no such session.</summary>
        public bool ShowMessage(Guid sessionId, Guid id, ChatMessage? value)
        {
            _message = id;
            return store.ApplyLocked(new StoreEvent.PendingMessageShown(token, sessionId, id, value)).Applied;
        }

        /// <summary>Changes the message value this write shows (a streamed reply growing). Call under the lock.</summary>
        public void ChangeMessage(Guid id, ChatMessage value) =>
            store.ApplyLocked(new StoreEvent.PendingMessageChanged(token, id, value));

        /// <summary>The message this write ends, whether or not it showed a value for it.</summary>
        public void Track(Guid messageId) => _message = messageId;

        public void End() => store.ApplyLocked(new StoreEvent.PendingWriteEnded(token, _sessions, _message));
    }
}
