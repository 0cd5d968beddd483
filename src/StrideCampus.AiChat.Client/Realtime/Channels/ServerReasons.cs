namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// Reads the reasons Supabase Realtime gives in a join refusal (<c>phx_reply</c> status error) or in the
/// <c>system</c> error before a <c>phx_close</c>, once, into a <see cref="ServerReasonKind"/> that the channel acts on.
/// </summary>
/// <remarks>
/// The texts are those of supabase/realtime <c>lib/realtime_web/channels/realtime_channel.ex</c>: join refusals built by
/// <c>log_error(socket, "Unauthorized", ...)</c> and <c>log_error(socket, "PrivateOnly", ...)</c>
/// (<c>"Unauthorized: You do not have permissions to read from this Channel topic: ..."</c>,
/// <c>"PrivateOnly: This project only allows private channels"</c>), and <c>shutdown_response</c> messages after an
/// <c>access_token</c> push (<c>"You do not have permissions to read from this Channel topic: ..."</c>,
/// <c>"You no longer have permission to read from this Channel topic: ..."</c>); the rate limits
/// (<c>"Too many messages per second"</c>, <c>"Too many presence messages per second"</c>,
/// <c>"ClientJoinRateLimitReached: Too many joins per second"</c>, <c>"ChannelRateLimitReached: Too many channels"</c>,
/// <c>"Client presence rate limit exceeded"</c>). Everything else, including "Realtime was unable to connect to the
/// project database", "Node request timeout" and "Replication connection was not established in time", is transient.
/// </remarks>
internal static class ServerReasons
{
    /// <summary>Whether a permission refusal is the project's "private channels only" (the SDK's feed then joins privately).</summary>
    public static bool IsPrivateOnly(string? reason) => reason?.StartsWith("PrivateOnly:", StringComparison.Ordinal) == true;

    public static ServerReasonKind Classify(string? reason)
    {
        if (string.IsNullOrEmpty(reason))
        {
            return ServerReasonKind.Transient;
        }

        if (reason.StartsWith("Unauthorized:", StringComparison.Ordinal)
            || reason.StartsWith("PrivateOnly:", StringComparison.Ordinal)
            || reason.StartsWith("You do not have permissions to read from this Channel topic", StringComparison.Ordinal)
            || reason.StartsWith("You no longer have permission to read from this Channel topic", StringComparison.Ordinal))
        {
            return ServerReasonKind.PermissionRefused;
        }

        if (reason.Contains("Too many", StringComparison.Ordinal) || reason.Contains("rate limit", StringComparison.OrdinalIgnoreCase))
        {
            return ServerReasonKind.RateLimited;
        }

        return ServerReasonKind.Transient;
    }
}
