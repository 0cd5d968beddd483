using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Log events of the chat layer, with stable ids (6000-6099), for the seed's debug moments: setting up
/// subscriptions, subscription status, created/updated/deleted, failures. Never logs content or tokens.
/// </summary>
internal static partial class ChatLog
{
    [LoggerMessage(EventId = 6000, EventName = "SettingUpSubscriptions", Level = LogLevel.Debug,
        Message = "Setting up AI chat realtime subscriptions (channel {Channel}, session filter {SessionId})")]
    public static partial void SettingUpSubscriptions(ILogger logger, string channel, Guid? sessionId);

    [LoggerMessage(EventId = 6001, EventName = "SubscriptionStatus", Level = LogLevel.Information,
        Message = "AI chat subscription status: {State} ({Reason})")]
    public static partial void SubscriptionStatus(ILogger logger, ChatConnectionState state, string reason);

    [LoggerMessage(EventId = 6002, EventName = "SubscriptionFailed", Level = LogLevel.Warning,
        Message = "AI chat realtime subscription failed")]
    public static partial void SubscriptionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6003, EventName = "Resubscribed", Level = LogLevel.Information,
        Message = "AI chat realtime resubscribed (#{Count}); refetching to catch up")]
    public static partial void Resubscribed(ILogger logger, long count);

    [LoggerMessage(EventId = 6010, EventName = "RealtimeChange", Level = LogLevel.Debug,
        Message = "Realtime: {Kind} {Id}")]
    public static partial void RealtimeChange(ILogger logger, ChatChangeKind kind, Guid id);

    [LoggerMessage(EventId = 6011, EventName = "RealtimeChangeIgnored", Level = LogLevel.Trace,
        Message = "Realtime: {Kind} {Id} ignored ({Why})")]
    public static partial void RealtimeChangeIgnored(ILogger logger, ChatChangeKind kind, Guid id, string why);

    [LoggerMessage(EventId = 6012, EventName = "RealtimePayloadDropped", Level = LogLevel.Warning,
        Message = "Realtime: dropped a change of {Table} that could not be read: {Error}")]
    public static partial void RealtimePayloadDropped(ILogger logger, string table, string error);

    [LoggerMessage(EventId = 6013, EventName = "ActiveSessionChanged", Level = LogLevel.Debug,
        Message = "Realtime: active session changed to {SessionId}")]
    public static partial void ActiveSessionChanged(ILogger logger, Guid? sessionId);

    [LoggerMessage(EventId = 6014, EventName = "CallbackFailed", Level = LogLevel.Error,
        Message = "An AI chat callback ({Callback}) threw")]
    public static partial void CallbackFailed(ILogger logger, string callback, Exception exception);

    [LoggerMessage(EventId = 6020, EventName = "StoreLoaded", Level = LogLevel.Information,
        Message = "Message store loaded {Sessions} sessions and {Messages} messages (each table paged)")]
    public static partial void StoreLoaded(ILogger logger, int sessions, int messages);

    [LoggerMessage(EventId = 6021, EventName = "StoreLoadFailed", Level = LogLevel.Error,
        Message = "Message store load failed")]
    public static partial void StoreLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6022, EventName = "Reconciled", Level = LogLevel.Information,
        Message = "Message store reconciled with the database: {Changes} missed changes applied")]
    public static partial void Reconciled(ILogger logger, int changes);

    [LoggerMessage(EventId = 6023, EventName = "ReconcileFailed", Level = LogLevel.Warning,
        Message = "Message store refetch after reconnect failed")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6024, EventName = "WriteRolledBack", Level = LogLevel.Warning,
        Message = "{Operation} of {Id} failed; the optimistic change was rolled back")]
    public static partial void WriteRolledBack(ILogger logger, ChatOperation operation, Guid? id, Exception exception);

    [LoggerMessage(EventId = 6025, EventName = "CacheEvicted", Level = LogLevel.Debug,
        Message = "Message cache: dropped the messages of {Count} sessions (bound or expiry)")]
    public static partial void CacheEvicted(ILogger logger, int count);

    [LoggerMessage(EventId = 6026, EventName = "MessagesLoaded", Level = LogLevel.Debug,
        Message = "Message cache: loaded {Count} messages of session {SessionId}")]
    public static partial void MessagesLoaded(ILogger logger, Guid sessionId, int count);

    [LoggerMessage(EventId = 6030, EventName = "StreamStarted", Level = LogLevel.Debug,
        Message = "Streaming assistant reply {MessageId} into session {SessionId}")]
    public static partial void StreamStarted(ILogger logger, Guid messageId, Guid sessionId);

    [LoggerMessage(EventId = 6031, EventName = "StreamCompleted", Level = LogLevel.Debug,
        Message = "Assistant reply {MessageId} complete: {Length} characters, {Tokens} tokens, {Writes} database writes")]
    public static partial void StreamCompleted(ILogger logger, Guid messageId, int length, int tokens, int writes);

    [LoggerMessage(EventId = 6032, EventName = "StreamFailed", Level = LogLevel.Warning,
        Message = "Assistant reply {MessageId} ended with an error after {Length} characters")]
    public static partial void StreamFailed(ILogger logger, Guid messageId, int length, Exception exception);

    [LoggerMessage(EventId = 6033, EventName = "StreamWriteFailed", Level = LogLevel.Warning,
        Message = "A database write of assistant reply {MessageId} failed; the next write retries")]
    public static partial void StreamWriteFailed(ILogger logger, Guid messageId, Exception exception);

    [LoggerMessage(EventId = 6034, EventName = "StreamRelayJoined", Level = LogLevel.Debug,
        Message = "Streamed tokens are relayed to the user's other clients on {Topic}")]
    public static partial void StreamRelayJoined(ILogger logger, string topic);

    [LoggerMessage(EventId = 6035, EventName = "StreamRelayUnavailable", Level = LogLevel.Warning,
        Message = "Token relay on {Topic} unavailable; other clients follow streamed replies through database writes only (run database/ai_chat_stream_authorization.sql to enable it)")]
    public static partial void StreamRelayUnavailable(ILogger logger, string topic, Exception exception);

    [LoggerMessage(EventId = 6036, EventName = "StreamDeltaDropped", Level = LogLevel.Warning,
        Message = "Dropped a malformed stream delta on {Topic}")]
    public static partial void StreamDeltaDropped(ILogger logger, string topic);

    [LoggerMessage(EventId = 6037, EventName = "StreamRelayJoinFailed", Level = LogLevel.Information,
        Message = "Token relay on {Topic} not joined yet (it keeps trying); other clients follow streamed replies through database writes meanwhile")]
    public static partial void StreamRelayJoinFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(EventId = 6060, EventName = "RelayQuotaExceeded", Level = LogLevel.Warning,
        Message = "The server reported '{Reason}' (the project is over its Realtime quota): token relay backs off to level {Level} (1: four times less often, 2: off; database writes carry the reply) for {QuietPeriod} after the last signal")]
    public static partial void RelayQuotaExceeded(ILogger logger, string reason, int level, TimeSpan quietPeriod);

    [LoggerMessage(EventId = 6061, EventName = "RelayQuotaRecovered", Level = LogLevel.Information,
        Message = "No quota signal for a while: token relay resumes and the store refetches the changes the server may have dropped")]
    public static partial void RelayQuotaRecovered(ILogger logger);
}
