using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>
/// The channel's join states as data, checked without a socket. The expected table is written out here on its own
/// (from Phoenix's channel states as realtime-js has them: supabase-js packages/core/realtime-js/src/RealtimeChannel.ts,
/// and from the rejoin and close rules the engine documents), so a change to the engine's table shows up as a diff.
/// </summary>
public class ChannelJoinMachineTests
{
    private const ChannelState Closed = ChannelState.Closed;
    private const ChannelState Joining = ChannelState.Joining;
    private const ChannelState Joined = ChannelState.Joined;
    private const ChannelState Leaving = ChannelState.Leaving;
    private const ChannelState Errored = ChannelState.Errored;

    /// <summary>Every (state, trigger) pair; null means the trigger is ignored in that state.</summary>
    public static TheoryData<ChannelState, string, ChannelState?> Table => new()
    {
        // A join starts only from rest (never over a join in flight, a live join or a leave).
        { Closed, nameof(ChannelTrigger.Join), Joining },
        { Errored, nameof(ChannelTrigger.Join), Joining },
        { Joining, nameof(ChannelTrigger.Join), null },
        { Joined, nameof(ChannelTrigger.Join), null },
        { Leaving, nameof(ChannelTrigger.Join), null },

        // The reply counts only while joining (a late reply after a socket drop or a leave is stale).
        { Joining, nameof(ChannelTrigger.JoinOk), Joined },
        { Closed, nameof(ChannelTrigger.JoinOk), null },
        { Joined, nameof(ChannelTrigger.JoinOk), null },
        { Leaving, nameof(ChannelTrigger.JoinOk), null },
        { Errored, nameof(ChannelTrigger.JoinOk), null },
        { Joining, nameof(ChannelTrigger.JoinFailed), Errored },
        { Closed, nameof(ChannelTrigger.JoinFailed), null },
        { Joined, nameof(ChannelTrigger.JoinFailed), null },
        { Leaving, nameof(ChannelTrigger.JoinFailed), null },
        { Errored, nameof(ChannelTrigger.JoinFailed), null },

        // phx_error breaks a join in flight or a live one; nothing else.
        { Joining, nameof(ChannelTrigger.ServerError), Errored },
        { Joined, nameof(ChannelTrigger.ServerError), Errored },
        { Closed, nameof(ChannelTrigger.ServerError), null },
        { Leaving, nameof(ChannelTrigger.ServerError), null },
        { Errored, nameof(ChannelTrigger.ServerError), null },

        // A transient phx_close rejoins, except while leaving (then it is the leave's answer).
        { Joining, nameof(ChannelTrigger.ServerClosed), Errored },
        { Joined, nameof(ChannelTrigger.ServerClosed), Errored },
        { Errored, nameof(ChannelTrigger.ServerClosed), Errored },
        { Leaving, nameof(ChannelTrigger.ServerClosed), Closed },
        { Closed, nameof(ChannelTrigger.ServerClosed), null },
        { Joining, nameof(ChannelTrigger.ServerClosedFinal), Closed },
        { Joined, nameof(ChannelTrigger.ServerClosedFinal), Closed },
        { Errored, nameof(ChannelTrigger.ServerClosedFinal), Closed },
        { Leaving, nameof(ChannelTrigger.ServerClosedFinal), Closed },
        { Closed, nameof(ChannelTrigger.ServerClosedFinal), null },

        // The socket dropping errors a join (rejoined on the next open) and completes a leave.
        { Joining, nameof(ChannelTrigger.SocketDown), Errored },
        { Joined, nameof(ChannelTrigger.SocketDown), Errored },
        { Leaving, nameof(ChannelTrigger.SocketDown), Closed },
        { Closed, nameof(ChannelTrigger.SocketDown), null },
        { Errored, nameof(ChannelTrigger.SocketDown), null },

        // Leaving needs a join on the server; its reply closes.
        { Joining, nameof(ChannelTrigger.Leave), Leaving },
        { Joined, nameof(ChannelTrigger.Leave), Leaving },
        { Closed, nameof(ChannelTrigger.Leave), null },
        { Leaving, nameof(ChannelTrigger.Leave), null },
        { Errored, nameof(ChannelTrigger.Leave), null },
        { Leaving, nameof(ChannelTrigger.LeaveReplied), Closed },
        { Closed, nameof(ChannelTrigger.LeaveReplied), null },
        { Joining, nameof(ChannelTrigger.LeaveReplied), null },
        { Joined, nameof(ChannelTrigger.LeaveReplied), null },
        { Errored, nameof(ChannelTrigger.LeaveReplied), null },

        // Stopping with nothing to leave closes from anywhere but Closed.
        { Joining, nameof(ChannelTrigger.Stop), Closed },
        { Joined, nameof(ChannelTrigger.Stop), Closed },
        { Leaving, nameof(ChannelTrigger.Stop), Closed },
        { Errored, nameof(ChannelTrigger.Stop), Closed },
        { Closed, nameof(ChannelTrigger.Stop), null },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_state_and_trigger_leads_where_the_table_says(ChannelState from, string trigger, ChannelState? expected)
    {
        var fired = ChannelJoinMachine.TryFire(from, Enum.Parse<ChannelTrigger>(trigger), out var to);

        Assert.Equal(expected is not null, fired);
        if (expected is { } state)
        {
            Assert.Equal(state, to);
        }
    }

    [Fact]
    public void The_table_above_covers_every_pair_and_the_machine_has_no_other_rows()
    {
        var covered = Table.Select(row => ((ChannelState)row[0], Enum.Parse<ChannelTrigger>((string)row[1]))).ToHashSet();
        var all = Enum.GetValues<ChannelState>().SelectMany(s => Enum.GetValues<ChannelTrigger>().Select(t => (s, t))).ToList();

        Assert.Equal(all.Count, covered.Count);
        Assert.All(all, pair => Assert.Contains(pair, covered));
        var expectedRows = Table.Count(row => row[2] is not null);
        Assert.Equal(expectedRows, ChannelJoinMachine.Transitions.Count);
    }

    [Theory]
    [InlineData(ChannelState.Joining, true)]
    [InlineData(ChannelState.Joined, true)]
    [InlineData(ChannelState.Closed, false)]
    [InlineData(ChannelState.Leaving, false)]
    [InlineData(ChannelState.Errored, false)]
    public void Server_events_are_delivered_only_with_a_join_in_place(ChannelState state, bool delivers)
    {
        Assert.Equal(delivers, ChannelJoinMachine.Delivers(state));
        Assert.Equal(delivers, ChannelJoinMachine.HasJoin(state));
    }

    [Fact]
    public void A_channel_lives_through_a_drop_a_transient_close_and_a_leave()
    {
        ChannelTrigger[] story =
        [
            ChannelTrigger.Join, ChannelTrigger.JoinOk, // subscribed
            ChannelTrigger.SocketDown, ChannelTrigger.Join, ChannelTrigger.JoinOk, // reconnect and rejoin
            ChannelTrigger.ServerClosed, ChannelTrigger.Join, ChannelTrigger.JoinFailed, ChannelTrigger.Join, ChannelTrigger.JoinOk, // rate limited, refused once, back
            ChannelTrigger.Leave, ChannelTrigger.LeaveReplied,
        ];
        ChannelState[] expected =
        [
            Joining, Joined,
            Errored, Joining, Joined,
            Errored, Joining, Errored, Joining, Joined,
            Leaving, Closed,
        ];

        var state = Closed;
        var seen = new List<ChannelState>();
        foreach (var trigger in story)
        {
            Assert.True(ChannelJoinMachine.TryFire(state, trigger, out state), $"{trigger} applies after {string.Join(",", seen)}");
            seen.Add(state);
        }

        Assert.Equal(expected, seen);
    }
}
