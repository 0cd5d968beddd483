using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Streamed replies: a message that grows locally per token and in the database at a bounded rate.</summary>
public sealed partial class MessageStore
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
    public async Task<ChatMessage> StreamAssistantReplyAsync(
        Guid sessionId, IAsyncEnumerable<string> tokens, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(tokens);
        await EnsureMessagesLoadedAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid();
        var now = _time.GetUtcNow();
        var message = new ChatMessage(id, sessionId, UserId, string.Empty, false, MessageStatus.Streaming, now, now, null);
        long token;
        using (EnterGate())
        {
            token = _core.NewToken();
            if (!_core.PushMessage(token, sessionId, id, message))
            {
                throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
            }

            PublishLocked();
        }

        ChatLog.StreamStarted(_logger, id, sessionId);
        var interval = TimeSpan.FromSeconds(1 / _options.MaxStreamWritesPerSecond);
        var relayer = new StreamedReplyRelayer(_relay, id, sessionId, TimeSpan.FromSeconds(1 / _options.MaxStreamRelaysPerSecond), _time, _quota);
        var writer = new StreamedReplyWriter(_data, message, interval, _time, row =>
        {
            relayer.Confirmed(row.Content.Length);
            OnStreamRowConfirmed(row);
        }, _logger);
        var text = new StringBuilder();
        var count = 0;
        Exception? streamError = null;
        try
        {
            await foreach (var fragment in tokens.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (string.IsNullOrEmpty(fragment))
                {
                    continue;
                }

                text.Append(fragment);
                count++;
                var content = text.ToString();
                using (EnterGate())
                {
                    _core.ReplaceMessage(token, id, (_core.GetVisibleMessage(id) ?? message) with { Content = content });
                    PublishLocked();
                }

                writer.Update(content);
                relayer.Grew(content);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (Exception ex)
        {
            streamError = ex;
        }

        var final = text.ToString();
        relayer.Flush(final);

        var finalStatus = streamError is null ? MessageStatus.Complete : MessageStatus.Error;
        using (EnterGate())
        {
            _core.ReplaceMessage(token, id, (_core.GetVisibleMessage(id) ?? message) with { Content = final, Status = finalStatus });
            PublishLocked();
        }

        ChatMessage? row;
        try
        {
            row = await writer.CompleteAsync(final, finalStatus).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"Message {id} was deleted while streaming.");
        }
        catch (Exception writeError)
        {
            var failure = RollBackMessage(ChatOperation.StreamReply, id, token, writeError);
            if (streamError is not null)
            {
                ChatLog.StreamFailed(_logger, id, final.Length, streamError);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(streamError);
            }

            throw failure;
        }

        using (EnterGate())
        {
            _core.PopMessage(token, id);
            PublishLocked();
        }

        if (streamError is not null)
        {
            ChatLog.StreamFailed(_logger, id, final.Length, streamError);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(streamError);
        }

        ChatLog.StreamCompleted(_logger, id, final.Length, count, writer.Writes);
        return row;
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
    public async Task<ChatMessage> StreamAssistantReplyAsync(
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
            _core.ServerMessage(row);
            PublishLocked();
        }
    }
}
