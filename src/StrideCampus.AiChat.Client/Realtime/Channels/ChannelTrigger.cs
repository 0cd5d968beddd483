namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>What happened to a channel's join (the inputs of <see cref="ChannelJoinMachine"/>).</summary>
internal enum ChannelTrigger
{
    /// <summary>A join is sent (first subscribe, socket open, rejoin timer).</summary>
    Join,

    /// <summary>The join reply is ok and the bindings match.</summary>
    JoinOk,

    /// <summary>The join failed: error reply, timeout, binding mismatch, or the join could not be sent.</summary>
    JoinFailed,

    /// <summary><c>phx_error</c> from the server.</summary>
    ServerError,

    /// <summary><c>phx_close</c> for a transient reason: the channel rejoins.</summary>
    ServerClosed,

    /// <summary><c>phx_close</c> that ends the channel: a permission refusal, or the app no longer wants it.</summary>
    ServerClosedFinal,

    /// <summary>The socket went down.</summary>
    SocketDown,

    /// <summary>The app unsubscribes with the socket up and a join in place: a leave is sent.</summary>
    Leave,

    /// <summary>The leave's reply (or timeout) came.</summary>
    LeaveReplied,

    /// <summary>The app unsubscribes with nothing to leave, or disposes the channel.</summary>
    Stop,
}
