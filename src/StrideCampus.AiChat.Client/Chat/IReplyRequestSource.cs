namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The database side of assistant replies generated on a server (database/ai_chat_assistant_replies.sql): each call
/// is one RPC that checks the caller owns the session or reply, and returns the assistant message concerned.
/// </summary>
internal interface IReplyRequestSource
{
    /// <summary>Calls <c>ai_chat_request_reply</c>: a new assistant message (pending) and its request.</summary>
    Task<ChatMessage> RequestReplyAsync(Guid sessionId, Guid messageId, CancellationToken cancellationToken);

    /// <summary>Calls <c>ai_chat_stop_reply</c>: the reply stops (or is flagged for its worker to stop).</summary>
    Task<ChatMessage> StopReplyAsync(Guid messageId, CancellationToken cancellationToken);

    /// <summary>Calls <c>ai_chat_regenerate_reply</c>: the last assistant message goes and a new one is requested.</summary>
    Task<ChatMessage> RegenerateReplyAsync(Guid sessionId, Guid messageId, CancellationToken cancellationToken);
}
