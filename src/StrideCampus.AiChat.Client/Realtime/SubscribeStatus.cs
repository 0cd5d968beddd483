namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The subscription statuses a channel reports (as realtime-js does).</summary>
public enum SubscribeStatus
{
    /// <summary>Joined and every postgres_changes binding confirmed by the server; raised again after every rejoin.</summary>
    Subscribed,

    /// <summary>The join got no reply in time; the channel rejoins later.</summary>
    TimedOut,

    /// <summary>The join failed, the server reported an error, or the socket broke; the channel rejoins later.</summary>
    ChannelError,

    /// <summary>The channel was closed (by the app or by the server).</summary>
    Closed,
}
