using System.Collections.Frozen;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// The channel's join states and transitions as data (Phoenix's channel states, as realtime-js has them). Pure: no
/// socket, no timer, no lock; <see cref="ChannelEngine"/> fires triggers and does the effects. A trigger with no row
/// for the current state is ignored (a stale reply, an error after a close, a second socket-down).
/// </summary>
internal static class ChannelJoinMachine
{
    /// <summary>Every transition: (from, trigger) → to.</summary>
    public static readonly FrozenDictionary<(ChannelState From, ChannelTrigger Trigger), ChannelState> Transitions =
        new Dictionary<(ChannelState, ChannelTrigger), ChannelState>
        {
            [(ChannelState.Closed, ChannelTrigger.Join)] = ChannelState.Joining,
            [(ChannelState.Errored, ChannelTrigger.Join)] = ChannelState.Joining,

            [(ChannelState.Joining, ChannelTrigger.JoinOk)] = ChannelState.Joined,
            [(ChannelState.Joining, ChannelTrigger.JoinFailed)] = ChannelState.Errored,

            [(ChannelState.Joining, ChannelTrigger.ServerError)] = ChannelState.Errored,
            [(ChannelState.Joined, ChannelTrigger.ServerError)] = ChannelState.Errored,

            // A close while leaving is the leave's answer; otherwise a transient close rejoins.
            [(ChannelState.Joining, ChannelTrigger.ServerClosed)] = ChannelState.Errored,
            [(ChannelState.Joined, ChannelTrigger.ServerClosed)] = ChannelState.Errored,
            [(ChannelState.Errored, ChannelTrigger.ServerClosed)] = ChannelState.Errored,
            [(ChannelState.Leaving, ChannelTrigger.ServerClosed)] = ChannelState.Closed,

            [(ChannelState.Joining, ChannelTrigger.ServerClosedFinal)] = ChannelState.Closed,
            [(ChannelState.Joined, ChannelTrigger.ServerClosedFinal)] = ChannelState.Closed,
            [(ChannelState.Errored, ChannelTrigger.ServerClosedFinal)] = ChannelState.Closed,
            [(ChannelState.Leaving, ChannelTrigger.ServerClosedFinal)] = ChannelState.Closed,

            [(ChannelState.Joining, ChannelTrigger.SocketDown)] = ChannelState.Errored,
            [(ChannelState.Joined, ChannelTrigger.SocketDown)] = ChannelState.Errored,
            [(ChannelState.Leaving, ChannelTrigger.SocketDown)] = ChannelState.Closed,

            [(ChannelState.Joining, ChannelTrigger.Leave)] = ChannelState.Leaving,
            [(ChannelState.Joined, ChannelTrigger.Leave)] = ChannelState.Leaving,
            [(ChannelState.Leaving, ChannelTrigger.LeaveReplied)] = ChannelState.Closed,

            [(ChannelState.Joining, ChannelTrigger.Stop)] = ChannelState.Closed,
            [(ChannelState.Joined, ChannelTrigger.Stop)] = ChannelState.Closed,
            [(ChannelState.Leaving, ChannelTrigger.Stop)] = ChannelState.Closed,
            [(ChannelState.Errored, ChannelTrigger.Stop)] = ChannelState.Closed,
        }.ToFrozenDictionary();

    /// <summary>The state after <paramref name="trigger"/>, or false when the trigger does not apply in <paramref name="from"/>.</summary>
    public static bool TryFire(ChannelState from, ChannelTrigger trigger, out ChannelState to) =>
        Transitions.TryGetValue((from, trigger), out to);

    /// <summary>Whether server events (changes, broadcasts, presence) are delivered in <paramref name="state"/>.</summary>
    public static bool Delivers(ChannelState state) => state is ChannelState.Joined or ChannelState.Joining;

    /// <summary>Whether a join is in place on the server (so leaving it needs a <c>phx_leave</c>).</summary>
    public static bool HasJoin(ChannelState state) => state is ChannelState.Joined or ChannelState.Joining;
}
