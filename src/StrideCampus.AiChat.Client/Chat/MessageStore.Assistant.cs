namespace StrideCampus.AiChat.Client.Chat;

public partial class MessageStore
{
    /// <summary>The metadata key of a regenerated reply that names the message it replaced.</summary>
    internal const string RegeneratedFromKey = "regenerated_from";

    /// <summary>
    /// Asks an assistant worker on a server for a reply in a session (database/ai_chat_assistant_replies.sql; the
    /// worker is <c>services.AddAiChatAssistant(...)</c> from StrideCampus.AiChat.Assistant). The new assistant
    /// message appears at once, empty and <see cref="MessageStatus.Pending"/>; every client of the user then watches
    /// the worker stream it (<see cref="MessageStatus.Streaming"/>) until it ends <see cref="MessageStatus.Complete"/>,
    /// <see cref="MessageStatus.Error"/> or <see cref="MessageStatus.Stopped"/>. No model key is needed here.
    /// </summary>
    /// <param name="sessionId">One of the user's sessions (its history is the model's context).</param>
    /// <param name="cancellationToken">Cancels the request (the optimistic message is then removed).</param>
    /// <returns>The new assistant message as the database stored it.</returns>
    /// <exception cref="ArgumentException">The store holds no such session.</exception>
    /// <exception cref="ChatOperationException">The server refused (for example the session is not the user's, or the
    /// reply scripts are not installed); the optimistic message was removed.</exception>
    /// <exception cref="NotSupportedException">The store was not created over PostgREST.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the optimistic
    /// message was removed; the request may still have reached the server).</exception>
    public virtual async Task<ChatMessage> RequestAssistantReplyAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var source = ReplyRequests;
        await EnsureMessagesLoadedAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid();
        return await WriteAsync(new OptimisticWrite<ChatMessage, ChatMessage>
        {
            Operation = ChatOperation.RequestReply,
            Id = id,
            Show = change => ShowPendingReply(change, sessionId, id),
            Call = ct => source.RequestReplyAsync(sessionId, id, ct),
            Apply = row => ApplyLocked(new StoreEvent.MessageConfirmed(row)),
            Result = row => row,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops an assistant reply a worker is generating, from any client of the user: the worker stops within about
    /// a second and the message ends <see cref="MessageStatus.Stopped"/> with what was written until then (a reply no
    /// worker has started yet ends stopped and empty at once). Stopping a finished reply changes nothing.
    /// </summary>
    /// <param name="messageId">The assistant message (as returned by <see cref="RequestAssistantReplyAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The message as the database holds it after the call (still <see cref="MessageStatus.Streaming"/> when
    /// its worker has yet to stop it).</returns>
    /// <exception cref="ChatOperationException">The server refused: no such reply of this user (another user's reply is
    /// refused the same way), or the reply scripts are not installed.</exception>
    /// <exception cref="NotSupportedException">The store was not created over PostgREST.</exception>
    /// <exception cref="ArgumentException"><paramref name="messageId"/> is empty.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the stop may
    /// still have reached the server).</exception>
    public virtual async Task<ChatMessage> StopAssistantReplyAsync(Guid messageId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (messageId == Guid.Empty)
        {
            throw new ArgumentException("The message id must not be empty.", nameof(messageId));
        }

        var source = ReplyRequests;
        return await WriteAsync(new OptimisticWrite<ChatMessage, ChatMessage>
        {
            Operation = ChatOperation.StopReply,
            Id = messageId,
            Show = static _ => { }, // nothing to show before the worker stops: the row says what was written until then
            Call = ct => source.StopReplyAsync(messageId, ct),
            Apply = row => ApplyLocked(new StoreEvent.MessageConfirmed(row)),
            Result = row => row,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces the last assistant reply of a session with a new one generated by a worker: the old message is
    /// deleted (a worker still writing it stops) and a new one is requested as <see cref="RequestAssistantReplyAsync"/>
    /// does; its <see cref="ChatMessage.Metadata"/> names the replaced message (<c>regenerated_from</c>).
    /// </summary>
    /// <param name="sessionId">One of the user's sessions.</param>
    /// <param name="cancellationToken">Cancels the call (the optimistic change is then rolled back).</param>
    /// <returns>The new assistant message as the database stored it.</returns>
    /// <exception cref="ArgumentException">The store holds no such session.</exception>
    /// <exception cref="ChatOperationException">The server refused (the session has no assistant reply, is not the
    /// user's, or the reply scripts are not installed); rolled back.</exception>
    /// <exception cref="NotSupportedException">The store was not created over PostgREST.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (rolled back; the
    /// regenerate may still have reached the server).</exception>
    public virtual async Task<ChatMessage> RegenerateAssistantReplyAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var source = ReplyRequests;
        await EnsureMessagesLoadedAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid();
        return await WriteAsync(new OptimisticWrite<ChatMessage, ChatMessage>
        {
            Operation = ChatOperation.RegenerateReply,
            Id = id,
            Show = change => ShowPendingReply(change, sessionId, id),
            Call = ct => source.RegenerateReplyAsync(sessionId, id, ct),
            Apply = row =>
            {
                if (row.Metadata?[RegeneratedFromKey]?.GetValue<string>() is { } replaced && Guid.TryParse(replaced, out var replacedId))
                {
                    ApplyLocked(new StoreEvent.MessageDeleted(replacedId));
                }

                ApplyLocked(new StoreEvent.MessageConfirmed(row));
            },
            Result = row => row,
        }, cancellationToken).ConfigureAwait(false);
    }

    private IReplyRequestSource ReplyRequests => _data as IReplyRequestSource
        ?? throw new NotSupportedException("Assistant replies generated on a server need a store created over PostgREST (MessageStore.CreateAsync).");

    /// <summary>Shows the requested reply at once: empty and pending until a worker picks it up.</summary>
    private void ShowPendingReply(PendingChange change, Guid sessionId, Guid id)
    {
        var now = _time.GetUtcNow();
        var optimistic = new ChatMessage(id, sessionId, _userId, string.Empty, false, MessageStatus.Pending, now, now, null);
        if (!change.ShowMessage(sessionId, id, optimistic))
        {
            throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
        }
    }
}
