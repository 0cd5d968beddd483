using System.Reactive.Concurrency;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>How a store publishes its state for realtime changes: every change, a state per burst, Current always fresh.</summary>
public class MessageStoreStateTests
{
    private static ChatMessage Reply(ChatSession s, Guid id, DateTimeOffset at, string content) =>
        new(id, s.Id, StoreHarness.User, content, false, MessageStatus.Streaming, at, at, null);

    [Fact]
    public async Task With_the_default_scheduler_a_burst_gives_every_change_few_states_and_a_current_state_that_is_never_behind()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        var states = new List<MessageStoreState>();
        var sawLast = new TaskCompletionSource();
        const int Tokens = 2_000;
        using var sub = h.Store.StateChanges.Subscribe(state =>
        {
            lock (states)
            {
                states.Add(state);
            }

            if (state.Sessions.Count == 1 && state.Sessions[0].Messages is [{ Content.Length: Tokens }])
            {
                sawLast.TrySetResult();
            }
        });

        var id = Guid.NewGuid();
        var at = DateTimeOffset.UtcNow;
        var content = "";
        for (var i = 0; i < Tokens; i++)
        {
            content += "x";
            var row = Reply(s, id, at, content) with { UpdatedAt = at.AddTicks(i) };
            h.Feed.Emit(i == 0 ? ChatChange.Created(row) : ChatChange.Updated(row));
            if (i % 500 == 0)
            {
                // Read right after the change: built on demand, never a state behind.
                Assert.Equal(content, Assert.Single(h.Store.Current.Sessions[0].Messages).Content);
            }
        }

        Assert.Equal(content, Assert.Single(h.Store.Current.Sessions[0].Messages).Content);

        await sawLast.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Tokens, (await h.SettledChangesAsync()).Count); // every change, once
        lock (states)
        {
            Assert.Equal(states.Select(x => x.Version).Order(), states.Select(x => x.Version)); // in order
            Assert.True(states.Count < Tokens, $"{states.Count} states for {Tokens} changes");
        }
    }

    [Fact]
    public async Task A_state_left_unbuilt_while_nobody_observed_reaches_a_new_observer()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        var message = Reply(s, Guid.NewGuid(), DateTimeOffset.UtcNow, "from another tab");
        h.Feed.Emit(ChatChange.Created(message));

        var got = new TaskCompletionSource<MessageStoreState>();
        using var sub = h.Store.StateChanges.Subscribe(state =>
        {
            if (state.Sessions is [{ Messages.Count: 1 }])
            {
                got.TrySetResult(state);
            }
        });
        var state = await got.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("from another tab", state.Sessions[0].Messages[0].Content);
    }

    [Fact]
    public async Task With_an_inline_scheduler_each_change_publishes_its_state_before_observers_of_the_change_run()
    {
        // The documented behaviour of an inline scheduler (MessageStoreOptions.Scheduler): kept on ImmediateScheduler.
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"), new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance });
        var states = new List<MessageStoreState>();
        using var sub = h.Store.StateChanges.Subscribe(states.Add);
        var seenByChangeObserver = new List<int>();
        using var changes = h.Store.Changes.Subscribe(_ => seenByChangeObserver.Add(h.Store.Current.Sessions[0].Messages.Count));
        var before = states.Count;
        h.Feed.Emit(ChatChange.Created(Reply(s, Guid.NewGuid(), DateTimeOffset.UtcNow, "a")));
        h.Feed.Emit(ChatChange.Created(Reply(s, Guid.NewGuid(), DateTimeOffset.UtcNow.AddSeconds(1), "b")));
        Assert.Equal(2, states.Count - before);
        Assert.Equal([1, 2], seenByChangeObserver);
    }
}
