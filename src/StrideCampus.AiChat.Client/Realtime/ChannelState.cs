namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The state of a <see cref="RealtimeChannel"/>, as in Phoenix.</summary>
public enum ChannelState
{
    /// <summary>Not joined.</summary>
    Closed,

    /// <summary>A join was sent and awaits its reply.</summary>
    Joining,

    /// <summary>Joined: events flow.</summary>
    Joined,

    /// <summary>A leave was sent.</summary>
    Leaving,

    /// <summary>The join failed or the channel broke; a rejoin is scheduled.</summary>
    Errored,
}
