using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>Log events of <see cref="SupabaseAuthClient"/>. Tokens are never logged.</summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Signed in as user {UserId}; the token expires at {ExpiresAt:O}")]
    public static partial void SignedIn(this ILogger logger, Guid userId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Session of user {UserId} refreshed; the token expires at {ExpiresAt:O}")]
    public static partial void Refreshed(this ILogger logger, Guid userId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Session refresh failed (status {Status}, code {ErrorCode}); retrying in {Delay}")]
    public static partial void RefreshFailedTransient(this ILogger logger, int status, string? errorCode, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Session refresh refused (status {Status}, code {ErrorCode}); the session has ended")]
    public static partial void SessionEnded(this ILogger logger, int status, string? errorCode, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Signed out user {UserId}")]
    public static partial void SignedOut(this ILogger logger, Guid userId);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Server-side sign-out failed (status {Status}); the local session was removed anyway")]
    public static partial void SignOutFailed(this ILogger logger, int status, Exception exception);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, Message = "Next automatic session refresh in {Delay}")]
    public static partial void RefreshScheduled(this ILogger logger, TimeSpan delay);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, Message = "GoTrue {Method} {Path} answered {Status}")]
    public static partial void Response(this ILogger logger, string method, string path, int status);
}
