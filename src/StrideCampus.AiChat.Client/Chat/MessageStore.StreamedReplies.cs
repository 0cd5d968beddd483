using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Streamed replies: a message that grows locally per token and in the database at a bounded rate.</summary>
public partial class MessageStore
{
    // ================================================================ streamed replies

    /// <summary>
    /// Streams an assistant reply into a session: one message with status <see cref="MessageStatus.Streaming"/>
    /// that grows locally with every token and in the database at most
    /// <see cref="MessageStoreOptions.MaxStreamWritesPerSecond"/> times a second (each write carrying the
    /// full content so far), so other clients watch it grow. It ends <see cref="MessageStatus.Complete"/> with
    /// the exact full text, or <see cref="MessageStatus.Error"/> with what was received when the token stream
    /// throws or is cancelled (the exception, including the cancellation, is then rethrown).
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="tokens">The reply's text fragments, in order.</param>
    /// <param name="cancellationToken">Cancels the stream; the message is then stored with status error.</param>
    /// <returns>The final message as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The final write was refused.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the message is kept with status error.</exception>
    /// <remarks>An exception thrown by <paramref name="tokens"/> is rethrown as is, after the message was stored with status error.</remarks>
    public virtual async Task<ChatMessage> StreamAssistantReplyAsync(
        Guid sessionId, IAsyncEnumerable<string> tokens, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(tokens);
        await EnsureMessagesLoadedAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid();
        var now = _time.GetUtcNow();
        var message = new ChatMessage(id, sessionId, _userId, string.Empty, false, MessageStatus.Streaming, now, now, null);
        PendingChange? pending = null;
        StreamedReplyWriter? writer = null;
        Exception? streamError = null;
        var final = string.Empty;
        var count = 0;
        ChatMessage row;
        try
        {
            // One optimistic write from the first token to the final row: the message shows at once and grows under the
            // same pending value (the database writes in between are throttled by StreamedReplyWriter); the final write
            // confirms it, or its failure rolls it back.
            row = await WriteAsync(new OptimisticWrite<ChatMessage, ChatMessage>
            {
                Operation = ChatOperation.StreamReply,
                Id = id,
                Show = change =>
                {
                    if (!change.ShowMessage(sessionId, id, message))
                    {
                        throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
                    }

                    pending = change;
                },
                Call = async ct =>
                {
                    ChatLog.StreamStarted(_logger, id, sessionId);
                    var interval = TimeSpan.FromSeconds(1 / _options.MaxStreamWritesPerSecond);
                    var relayer = new StreamedReplyRelayer(_relay, id, sessionId, TimeSpan.FromSeconds(1 / _options.MaxStreamRelaysPerSecond), _time, _quota);
                    writer = new StreamedReplyWriter(_data, message, interval, _time, confirmed =>
                    {
                        relayer.Confirmed(confirmed.Content.Length);
                        OnStreamRowConfirmed(confirmed);
                    }, _logger);
                    var text = new StringBuilder();
                    try
                    {
                        await foreach (var fragment in tokens.WithCancellation(ct).ConfigureAwait(false))
                        {
                            if (string.IsNullOrEmpty(fragment))
                            {
                                continue;
                            }

                            text.Append(fragment);
                            count++;
                            var content = text.ToString();
                            ShowStreamed(pending!, id, message, content, MessageStatus.Streaming);
                            writer.Update(content);
                            relayer.Grew(content);
                        }

                        ct.ThrowIfCancellationRequested();
                    }
                    catch (Exception ex)
                    {
                        streamError = ex;
                    }

                    final = text.ToString();
                    relayer.Flush(final);
                    var finalStatus = streamError is null ? MessageStatus.Complete : MessageStatus.Error;
                    ShowStreamed(pending!, id, message, final, finalStatus);
                    return await writer.CompleteAsync(final, finalStatus).ConfigureAwait(false)
                        ?? throw new KeyNotFoundException($"Message {id} was deleted while streaming.");
                },
                Apply = confirmed => ApplyLocked(new StoreEvent.MessageConfirmed(confirmed)),
                Result = confirmed => confirmed,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (streamError is not null)
        {
            // The final write failed too (rolled back): the caller sees the stream's own exception.
            ChatLog.StreamFailed(_logger, id, final.Length, streamError);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(streamError);
            throw;
        }

        if (streamError is not null)
        {
            ChatLog.StreamFailed(_logger, id, final.Length, streamError);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(streamError);
        }

        ChatLog.StreamCompleted(_logger, id, final.Length, count, writer!.Writes);
        return row;
    }

    /// <summary>Shows the streamed reply's text so far under its pending write (ahead of the throttled database writes).</summary>
    private void ShowStreamed(PendingChange pending, Guid id, ChatMessage message, string content, MessageStatus status)
    {
        using (EnterGate())
        {
            pending.ChangeMessage(id, (_core.GetVisibleMessage(id) ?? message) with { Content = content, Status = status });
            PublishLocked();
        }
    }

    /// <summary>
    /// Asks a Microsoft.Extensions.AI chat client for a reply to the session's conversation (its complete
    /// messages, oldest first) and streams it into the session as
    /// <see cref="StreamAssistantReplyAsync(Guid, IAsyncEnumerable{string}, CancellationToken)"/> does.
    /// </summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="chatClient">The model client.</param>
    /// <param name="options">Options for the model request.</param>
    /// <param name="cancellationToken">Cancels the request; the message is then stored with status error.</param>
    /// <returns>The final message as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The history could not be loaded, or the final write was refused.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the message is kept with status error.</exception>
    /// <remarks>An exception thrown by <paramref name="chatClient"/> is rethrown as is, after the message was stored with status error.</remarks>
    public virtual async Task<ChatMessage> StreamAssistantReplyAsync(
        Guid sessionId, IChatClient chatClient, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(chatClient);
        var messages = await LoadMessagesAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var history = BuildHistory(messages);
        return await StreamAssistantReplyAsync(
            sessionId, Fragments(chatClient.GetStreamingResponseAsync(history, options, cancellationToken), cancellationToken), cancellationToken)
            .ConfigureAwait(false);
    }

    internal static List<AiChatMessage> BuildHistory(IEnumerable<ChatMessage> messages)
    {
        var history = new List<AiChatMessage>();
        foreach (var m in messages)
        {
            if (m.Content.Length == 0 || (!m.IsUser && m.Status != MessageStatus.Complete))
            {
                continue; // unfinished or failed replies are not part of the conversation
            }

            history.Add(new AiChatMessage(m.IsUser ? ChatRole.User : ChatRole.Assistant, m.Content));
        }

        return history;
    }

    internal static async IAsyncEnumerable<string> Fragments(
        IAsyncEnumerable<ChatResponseUpdate> updates, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in updates.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var text = update.Text;
            if (!string.IsNullOrEmpty(text))
            {
                yield return text;
            }
        }
    }

    private void OnStreamRowConfirmed(ChatMessage row)
    {
        using (EnterGate())
        {
            ApplyLocked(new StoreEvent.MessageConfirmed(row));
            PublishLocked();
        }
    }
}
