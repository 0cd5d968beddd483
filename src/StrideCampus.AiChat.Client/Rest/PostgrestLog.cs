using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Rest;

/// <summary>Log events of <see cref="PostgrestClient"/>. Tokens, keys and bodies are never logged.</summary>
internal static partial class PostgrestLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "PostgREST {Method} {Path} answered {Status} in {ElapsedMs} ms")]
    public static partial void Response(this ILogger logger, string method, string path, int status, long elapsedMs);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "PostgREST {Method} {Path} failed transiently ({Reason}); retry {Attempt} of {MaxRetries} in {Delay}")]
    public static partial void Retrying(this ILogger logger, string method, string path, string reason, int attempt, int maxRetries, TimeSpan delay);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "PostgREST {Method} {Path}: the access token expired; retrying once with a refreshed token")]
    public static partial void RetryingWithNewToken(this ILogger logger, string method, string path);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "PostgREST {Method} {Path} failed: {Status} {Code} {Message}")]
    public static partial void Failed(this ILogger logger, string method, string path, int status, string? code, string message);
}
