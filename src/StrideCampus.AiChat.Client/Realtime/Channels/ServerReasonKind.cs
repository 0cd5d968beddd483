namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>What a reason the server gave for refusing or ending a channel means for the client.</summary>
internal enum ServerReasonKind
{
    /// <summary>Anything else (database unreachable, RPC timeout, replication not ready, an expired token...): rejoin with the usual backoff.</summary>
    Transient,

    /// <summary>A rate limit ("Too many messages per second", "Too many joins per second", ...): rejoin, but not before the rate-limit floor.</summary>
    RateLimited,

    /// <summary>The user may not read this channel, or the project refuses public channels: retrying cannot help, so stop.</summary>
    PermissionRefused,
}
