using System.Text.Json.Nodes;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Message actions: each shows its change at once, then confirms it with the server or rolls it back.</summary>
public partial class MessageStore
{
    // ================================================================ message actions

    /// <summary>
    /// Adds a message (optimistically: it shows at once, pending until the server confirms). The id is
    /// generated here unless given: retrying with the same <paramref name="messageId"/> never duplicates.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="content">The text (at most 100,000 characters).</param>
    /// <param name="isUser"><see langword="true"/> for a user message, <see langword="false"/> for an assistant one.</param>
    /// <param name="status">The status to store.</param>
    /// <param name="metadata">Free-form JSON.</param>
    /// <param name="messageId">The id to use (to retry a failed add idempotently).</param>
    /// <param name="cancellationToken">Cancels the write (the optimistic message is removed).</param>
    /// <returns>The message as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The server refused or could not be reached (the cause is the
    /// <see cref="Exception.InnerException"/>, a <c>PostgrestException</c> for a refusal); the message was removed.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (a session of another user, deleted, or
    /// not yet created: await <see cref="CreateSessionAsync"/> first), or <paramref name="content"/> is longer than
    /// 100,000 characters (nothing is sent).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public virtual async Task<ChatMessage> AddMessageAsync(
        Guid sessionId,
        string content,
        bool isUser = true,
        MessageStatus status = MessageStatus.Complete,
        JsonObject? metadata = null,
        Guid? messageId = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateContent(content);
        await EnsureMessagesLoadedAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var id = messageId ?? Guid.NewGuid();
        var now = _time.GetUtcNow();
        var optimistic = new ChatMessage(id, sessionId, _userId, content, isUser, status, now, now, metadata);
        return await WriteAsync(new OptimisticWrite<ChatMessage, ChatMessage>
        {
            Operation = ChatOperation.AddMessage,
            Id = id,
            Show = change =>
            {
                if (!change.ShowMessage(sessionId, id, _core.GetVisibleMessage(id) is { } existing ? existing : optimistic))
                {
                    throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
                }
            },
            Call = ct => _data.UpsertMessageAsync(optimistic, ct),
            Apply = row => ApplyLocked(new StoreEvent.MessageConfirmed(row)),
            Result = row => row,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Changes a message (optimistically). Arguments left null keep their value.</summary>
    /// <param name="messageId">The message id.</param>
    /// <param name="content">The new text.</param>
    /// <param name="status">The new status.</param>
    /// <param name="metadata">The new metadata.</param>
    /// <param name="cancellationToken">Cancels the write (the optimistic change is rolled back).</param>
    /// <returns>The message as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The server refused or the message no longer exists; rolled back.</exception>
    /// <exception cref="ArgumentException">Nothing to update (all arguments null), or <paramref name="content"/> is longer than 100,000 characters (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public virtual async Task<ChatMessage> UpdateMessageAsync(
        Guid messageId,
        string? content = null,
        MessageStatus? status = null,
        JsonObject? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (content is null && status is null && metadata is null)
        {
            throw new ArgumentException("Nothing to update: give content, status or metadata.", nameof(content));
        }

        if (content is not null)
        {
            ValidateContent(content);
        }

        var patch = new JsonObject();
        if (content is not null)
        {
            patch["content"] = content;
        }

        if (status is { } s)
        {
            patch["status"] = MessageStatusNames.ToWire(s);
        }

        if (metadata is not null)
        {
            patch["metadata"] = metadata.DeepClone();
        }

        return await WriteAsync(new OptimisticWrite<ChatMessage, ChatMessage>
        {
            Operation = ChatOperation.UpdateMessage,
            Id = messageId,
            Show = change =>
            {
                change.Track(messageId);
                if (_core.GetVisibleMessage(messageId) is { } current)
                {
                    change.ShowMessage(current.SessionId, messageId, current with
                    {
                        Content = content ?? current.Content,
                        Status = status ?? current.Status,
                        Metadata = metadata ?? current.Metadata,
                    });
                }
            },
            Call = async ct => await _data.UpdateMessageAsync(messageId, patch, ct).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"Message {messageId} no longer exists."),
            Apply = row => ApplyLocked(new StoreEvent.MessageConfirmed(row)),
            Result = row => row,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a message (optimistically: it disappears at once).</summary>
    /// <param name="messageId">The message id.</param>
    /// <param name="cancellationToken">Cancels the delete (the message reappears).</param>
    /// <returns>A task that completes when the database deleted it.</returns>
    /// <exception cref="ChatOperationException">The server refused; the message reappears.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public virtual async Task DeleteMessageAsync(Guid messageId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await WriteAsync(new OptimisticWrite<bool, bool>
        {
            Operation = ChatOperation.DeleteMessage,
            Id = messageId,
            Show = change =>
            {
                change.Track(messageId);
                if (_core.GetVisibleMessage(messageId) is { } current)
                {
                    change.ShowMessage(current.SessionId, messageId, null);
                }
            },
            Call = async ct =>
            {
                await _data.DeleteMessageAsync(messageId, ct).ConfigureAwait(false);
                return true;
            },
            Apply = _ => ApplyLocked(new StoreEvent.MessageDeleted(messageId)),
            Result = _ => true,
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureMessagesLoadedAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        using (EnterGate())
        {
            RequireSession(sessionId);
            if (_core.AreMessagesLoaded(sessionId))
            {
                ApplyLocked(new StoreEvent.SessionUsed(sessionId, Now));
                return;
            }
        }

        await LoadMessagesAsync(sessionId, cancellationToken).ConfigureAwait(false);
    }

    private static void ValidateContent(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Length > MaxContentLength)
        {
            throw new ArgumentException($"A message has at most {MaxContentLength} characters.", nameof(content));
        }
    }
}
