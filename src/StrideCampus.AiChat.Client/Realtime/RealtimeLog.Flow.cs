using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Log events of the wait for changes to flow (event ids 5060-5069).</summary>
internal static partial class RealtimeLog
{
    [LoggerMessage(5060, LogLevel.Debug, "Channel {Topic} joined; waiting for \"Subscribed to PostgreSQL\" before reporting Subscribed")]
    public static partial void AwaitingPostgresChanges(ILogger logger, string topic);

    [LoggerMessage(5061, LogLevel.Warning, "Channel {Topic}: no \"Subscribed to PostgreSQL\" within {Timeout}; reporting Subscribed (a later confirmation triggers a catch-up)")]
    public static partial void PostgresChangesUnconfirmed(ILogger logger, string topic, TimeSpan timeout);
}
