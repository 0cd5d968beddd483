using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Realtime;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// Work done once per change, not per channel or token (issue 14): a postgres_changes frame is encoded once per
/// topic, serializer and ids and its bytes shared; the RLS check runs once per distinct (role, user); the queue of
/// changes waiting for dispatch is bounded and, past it, sheds changes and tells subscribers to resync.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class ChangeDispatchCostTests(LocalStackFixture fixture)
{
    private RealtimeService Realtime => fixture.Stack.Services.GetRequiredService<RealtimeService>();

    private async Task<PhoenixTestSocket> JoinAsync(string token, string topic, string vsn = "2.0.0")
    {
        var stack = fixture.Stack;
        var socket = await ConnectAsync(stack.ApiUrl, stack.AnonKey, vsn);
        await socket.PushAsync("1", "1", topic, "phx_join", new
        {
            config = new { postgres_changes = new[] { new { @event = "*", schema = "public", table = "ai_chat_messages" } } },
            access_token = token,
        });
        Assert.Equal("ok", Parts(await socket.WaitForReplyAsync("1")).Payload.GetProperty("status").GetString());
        await socket.WaitForAsync(IsSubscribed);
        return socket;
    }

    private static bool IsSubscribed(JsonElement m) =>
        Parts(m) is { Event: "system" } p && p.Payload.TryGetProperty("message", out var text) && text.GetString() == "Subscribed to PostgreSQL";

    private static string? Content(JsonElement message) =>
        Parts(message) is { Event: "postgres_changes" } parts
        && parts.Payload.GetProperty("data").TryGetProperty("record", out var record)
        && record.TryGetProperty("content", out var content) ? content.GetString() : null;

    private static string? Content(RowChange change) =>
        change.Relation.Table == "ai_chat_messages" && change.NewValues is { } values && change.Relation.IndexOf("content") is >= 0 and var i ? values[i] : null;

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe, string what) where T : struct
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_change_is_encoded_once_per_topic_and_serializer_and_checked_once_per_user_whatever_its_tokens()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var aliceSession = await RealtimeTestData.CreateSessionAsync(stack, alice);
        var bobSession = await RealtimeTestData.CreateSessionAsync(stack, bob);
        var topic = "realtime:cost-" + Guid.NewGuid().ToString("N")[..8];
        // Alice: four sockets of one topic, each with a token of its own (other expiry, so other claims), three of them
        // in 2.0.0 and one in 1.0.0. Bob: two sockets of the same topic.
        var aliceSockets = new List<PhoenixTestSocket>();
        var bobSockets = new List<PhoenixTestSocket>();
        var reports = new ConcurrentQueue<DispatchReport>();
        void OnDispatched(DispatchReport report) => reports.Enqueue(report);
        Realtime.Dispatcher.Dispatched += OnDispatched;
        try
        {
            for (var i = 0; i < 4; i++)
            {
                aliceSockets.Add(await JoinAsync(RealtimeTestData.Token(stack, alice, TimeSpan.FromMinutes(60 + i)), topic, i == 3 ? "1.0.0" : "2.0.0"));
            }
            for (var i = 0; i < 2; i++)
            {
                bobSockets.Add(await JoinAsync(RealtimeTestData.Token(stack, bob, TimeSpan.FromMinutes(60 + i)), topic));
            }

            await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'alice cost')", aliceSession, alice);
            foreach (var socket in aliceSockets)
            {
                await socket.WaitForAsync(m => Content(m) == "alice cost");
            }
            var aliceReport = await EventuallyAsync(() => reports.FirstOrDefault(r => Content(r.Change) == "alice cost") is { Change: not null } r ? r : (DispatchReport?)null, "no report of Alice's change");
            Assert.Equal(2, aliceReport.Principals); // Alice and Bob, not six tokens
            Assert.Equal(4, aliceReport.Channels);
            Assert.Equal(2, aliceReport.Encodes); // one frame for the three 2.0.0 sockets, one for the 1.0.0 socket

            // RLS both ways: Bob's sockets never got Alice's row, Alice's never get Bob's.
            await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'bob cost')", bobSession, bob);
            foreach (var socket in bobSockets)
            {
                await socket.WaitForAsync(m => Content(m) == "bob cost");
                Assert.DoesNotContain(socket.Received, m => Content(m) == "alice cost");
            }
            var bobReport = await EventuallyAsync(() => reports.FirstOrDefault(r => Content(r.Change) == "bob cost") is { Change: not null } r ? r : (DispatchReport?)null, "no report of Bob's change");
            Assert.Equal((2, 2, 1), (bobReport.Principals, bobReport.Channels, bobReport.Encodes));
            // A marker written after Bob's row reaches Alice's sockets after it would have: they never saw it.
            await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'alice end')", aliceSession, alice);
            foreach (var socket in aliceSockets)
            {
                await socket.WaitForAsync(m => Content(m) == "alice end");
                Assert.DoesNotContain(socket.Received, m => Content(m) == "bob cost");
            }
        }
        finally
        {
            Realtime.Dispatcher.Dispatched -= OnDispatched;
            foreach (var socket in aliceSockets.Concat(bobSockets))
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_dispatcher_that_falls_behind_sheds_changes_past_the_queue_bound_and_subscribers_are_told_to_resync()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var aliceSession = await RealtimeTestData.CreateSessionAsync(stack, alice);
        var topic = "realtime:shed-" + Guid.NewGuid().ToString("N")[..8];
        await using var aliceSocket = await JoinAsync(RealtimeTestData.Token(stack, alice), topic);
        await using var bobSocket = await JoinAsync(RealtimeTestData.Token(stack, bob), topic);
        var queue = Realtime.Replication.Changes;
        var capacity = queue.Capacity;
        using var blocked = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        // Holds the dispatch loop on the "hold" change until released, so the changes after it pile up.
        void OnDispatched(DispatchReport report)
        {
            if (Content(report.Change) == "hold")
            {
                blocked.Release();
                release.Wait(TimeSpan.FromSeconds(60));
            }
        }
        Realtime.Dispatcher.Dispatched += OnDispatched;
        try
        {
            queue.Capacity = 3;
            const string Insert = "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, $3)";
            await RealtimeTestData.ExecuteAsync(stack, Insert, aliceSession, alice, "hold");
            Assert.True(await blocked.WaitAsync(TimeSpan.FromSeconds(30)), "the hold change was never dispatched");
            var shedBefore = queue.Shed;
            for (var i = 1; i <= 10; i++)
            {
                await RealtimeTestData.ExecuteAsync(stack, Insert, aliceSession, alice, $"piled {i}");
            }
            await EventuallyAsync(() => queue.Shed - shedBefore >= 7 ? true : (bool?)null, "7 changes never shed");
            Assert.Equal(7, queue.Shed - shedBefore);
            Assert.Equal(3, queue.Count);
            release.Set();
            // Only once the three queued changes are out is there room again: inserted sooner, "after" is shed too.
            await Eventually.TrueAsync(() => queue.Count == 0, "the queued changes are dispatched", TimeSpan.FromSeconds(30));

            await RealtimeTestData.ExecuteAsync(stack, Insert, aliceSession, alice, "after");
            await aliceSocket.WaitForAsync(m => Content(m) == "after", TimeSpan.FromSeconds(30));
            var seen = aliceSocket.Received.Where(m => Content(m) is not null || IsSubscribed(m))
                .Select(m => Content(m) ?? "SUBSCRIBED").SkipWhile(s => s != "hold").ToList();
            // The queued three, then the gap told as a new "Subscribed to PostgreSQL" (clients resync on it), then what
            // came after; the shed changes never.
            Assert.Equal(["hold", "piled 1", "piled 2", "piled 3", "SUBSCRIBED", "after"], seen);
            await bobSocket.WaitForAsync(IsSubscribed);
            Assert.DoesNotContain(bobSocket.Received, m => Content(m) is not null);
        }
        finally
        {
            release.Set();
            queue.Capacity = capacity;
            Realtime.Dispatcher.Dispatched -= OnDispatched;
        }
    }
}
