using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Log events of the realtime client (stable event ids 5000-5099). Tokens and API keys are never logged.</summary>
internal static partial class RealtimeLog
{
    [LoggerMessage(5000, LogLevel.Debug, "Realtime connecting to {Endpoint} (attempt {Attempt})")]
    public static partial void Connecting(ILogger logger, string endpoint, int attempt);

    [LoggerMessage(5001, LogLevel.Information, "Realtime connected to {Endpoint}")]
    public static partial void Connected(ILogger logger, string endpoint);

    [LoggerMessage(5002, LogLevel.Warning, "Realtime connect failed: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(5003, LogLevel.Information, "Realtime disconnected: {Reason}")]
    public static partial void Disconnected(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(5004, LogLevel.Warning, "Realtime heartbeat {Ref} got no reply: the socket is dead")]
    public static partial void HeartbeatTimeout(ILogger logger, string @ref);

    [LoggerMessage(5005, LogLevel.Information, "Realtime reconnect attempt {Attempt} in {Delay}")]
    public static partial void ReconnectScheduled(ILogger logger, int attempt, TimeSpan delay);

    [LoggerMessage(5006, LogLevel.Warning, "Realtime dropped a malformed {Kind} frame of {Length} bytes: {Reason}")]
    public static partial void MalformedFrame(ILogger logger, Exception? exception, string kind, int length, string reason);

    [LoggerMessage(5007, LogLevel.Debug, "Realtime ignored a reply with unknown ref {Ref} on {Topic}")]
    public static partial void UnknownReply(ILogger logger, string? @ref, string topic);

    [LoggerMessage(5008, LogLevel.Debug, "Realtime ignored event {Event} for unknown topic {Topic}")]
    public static partial void UnknownTopic(ILogger logger, string @event, string topic);

    [LoggerMessage(5009, LogLevel.Error, "A subscriber of {Stream} threw; the exception was caught")]
    public static partial void ObserverFailed(ILogger logger, Exception exception, string stream);

    [LoggerMessage(5010, LogLevel.Warning, "Realtime send failed: {Reason}")]
    public static partial void SendFailed(ILogger logger, Exception? exception, string reason);

    [LoggerMessage(5011, LogLevel.Warning, "Realtime send buffer is full ({Limit} frames); dropped {Event} for {Topic}")]
    public static partial void SendBufferFull(ILogger logger, int limit, string @event, string topic);

    [LoggerMessage(5012, LogLevel.Error, "Realtime receive loop failed")]
    public static partial void ReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(5013, LogLevel.Warning, "The access token provider failed")]
    public static partial void TokenProviderFailed(ILogger logger, Exception exception);

    [LoggerMessage(5014, LogLevel.Warning, "Realtime dropped an unsupported binary frame of kind {Kind}")]
    public static partial void UnsupportedBinary(ILogger logger, int kind);

    [LoggerMessage(5020, LogLevel.Debug, "Channel {Topic} joining (join_ref {JoinRef})")]
    public static partial void ChannelJoining(ILogger logger, string topic, string joinRef);

    [LoggerMessage(5021, LogLevel.Information, "Channel {Topic} subscribed")]
    public static partial void ChannelSubscribed(ILogger logger, string topic);

    [LoggerMessage(5022, LogLevel.Warning, "Channel {Topic} join refused: {Reason}")]
    public static partial void ChannelJoinRefused(ILogger logger, string topic, string reason);

    [LoggerMessage(5023, LogLevel.Warning, "Channel {Topic} join timed out")]
    public static partial void ChannelJoinTimedOut(ILogger logger, string topic);

    [LoggerMessage(5024, LogLevel.Warning, "Channel {Topic} errored: {Reason}")]
    public static partial void ChannelErrored(ILogger logger, string topic, string reason);

    [LoggerMessage(5025, LogLevel.Information, "Channel {Topic} closed: {Reason}")]
    public static partial void ChannelClosed(ILogger logger, string topic, string reason);

    [LoggerMessage(5026, LogLevel.Debug, "Channel {Topic} rejoin attempt {Attempt} in {Delay}")]
    public static partial void RejoinScheduled(ILogger logger, string topic, int attempt, TimeSpan delay);

    [LoggerMessage(5027, LogLevel.Error, "Channel {Topic}: the server's postgres_changes bindings do not match the request")]
    public static partial void BindingMismatch(ILogger logger, string topic);

    [LoggerMessage(5028, LogLevel.Debug, "Channel {Topic} dropped {Event} of a stale join (join_ref {JoinRef})")]
    public static partial void StaleJoinRef(ILogger logger, string topic, string @event, string? joinRef);

    [LoggerMessage(5029, LogLevel.Warning, "Channel {Topic} push buffer is full ({Limit}); the push was refused")]
    public static partial void PushBufferFull(ILogger logger, string topic, int limit);

    [LoggerMessage(5030, LogLevel.Debug, "Channel {Topic}: access token sent")]
    public static partial void AccessTokenPushed(ILogger logger, string topic);

    [LoggerMessage(5031, LogLevel.Warning, "Channel {Topic} system error from {Extension}: {Message}")]
    public static partial void SystemError(ILogger logger, string topic, string? extension, string? message);

    [LoggerMessage(5032, LogLevel.Warning, "Channel {Topic} dropped a postgres_changes event: {Reason}")]
    public static partial void ChangeDropped(ILogger logger, Exception? exception, string topic, string reason);

    [LoggerMessage(5033, LogLevel.Debug, "Channel {Topic} system message from {Extension}: {Message}")]
    public static partial void SystemMessage(ILogger logger, string topic, string? extension, string? message);
}
