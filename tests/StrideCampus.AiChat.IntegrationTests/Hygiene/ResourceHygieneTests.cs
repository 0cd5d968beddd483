using System.Diagnostics;
using System.Globalization;
using System.Reactive.Concurrency;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;
using StrideCampus.AiChat.LocalStack.Realtime;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.Hygiene;

/// <summary>
/// 1,000 MessageStore/RealtimeAIChats instances created and disposed over one LocalStack (plus clients with
/// their own sockets): afterwards no socket to the stack is left open, managed memory, threads and timers are
/// back near their baseline, and LocalStack holds no channel. AICHAT_SOAK=1 runs 10,000.
/// </summary>
[Collection(ProcessMeasureCollection.Name)]
public sealed class ResourceHygieneTests(LocalStackFixture fixture, ITestOutputHelper output)
{
    // In the hosted-like mode every subscription waits a second for "Subscribed to PostgreSQL": fewer instances there.
    private static readonly int Instances = Environment.GetEnvironmentVariable("AICHAT_SOAK") == "1" ? 10_000 : LocalStackFixture.HostedLike ? 40 : 1_000;

    [Fact]
    public async Task Creating_and_disposing_1000_stores_and_feeds_leaves_nothing_behind()
    {
        var stack = fixture.Stack;
        var port = stack.ApiUrl.Port;
        var registry = stack.Services.GetRequiredService<RealtimeService>().Registry;
        // A thousand joins in a few seconds pass Supabase's 100 joins a second (which RealtimeLimitsTests covers):
        // lifted here, where resources are the subject.
        var realtimeOptions = stack.Services.GetRequiredService<RealtimeService>().Options;
        var joinLimit = realtimeOptions.MaxJoinsPerSecond;
        realtimeOptions.MaxJoinsPerSecond = 0;
        try
        {
            await CyclesAsync(stack, port, registry);
        }
        finally
        {
            realtimeOptions.MaxJoinsPerSecond = joinLimit;
        }
    }

    private async Task CyclesAsync(LocalStackServer stack, int port, ChannelRegistry registry)
    {
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user, "hygiene");
        await RealtimeTestData.ExecuteAsync(stack, "insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, 'hello')", session, user);
        var tokens = new StaticAccessTokenProvider(RealtimeTestData.Token(stack, user));
        var options = new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance };

        async Task CycleAsync(HttpClient http, RealtimeClient realtime, int i)
        {
            var rest = new PostgrestClient(http, new PostgrestClientOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey }, tokens);
            if (i % 2 == 0)
            {
                await using var store = await MessageStore.CreateAsync(rest, realtime, user, options);
                Assert.Single(store.GetSessions());
            }
            else
            {
                await using var chats = await RealtimeAIChats.CreateAsync(realtime, rest, user, new RealtimeAIChatsOptions { SessionId = i % 4 == 1 ? session : null });
                using var sub = chats.MessageCreated.Subscribe(_ => { });
                Assert.True(chats.IsConnected);
            }
        }

        RealtimeClient NewRealtime() => new(new RealtimeClientOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey }, tokens);

        // Warm up (JIT, pools, the server's prepared statements), then take the baseline.
        var http = new HttpClient();
        await using (var warm = NewRealtime())
        {
            for (var i = 0; i < 20; i++)
            {
                await CycleAsync(http, warm, i);
            }
        }
        http.Dispose();
        await SettleAsync();
        var before = Measure(port, registry.Count);

        var sw = Stopwatch.StartNew();
        // Most instances share one realtime client and one HttpClient (as an app does) ...
        http = new HttpClient();
        var perOwnClient = Instances / 20;
        await using (var shared = NewRealtime())
        {
            for (var i = 0; i < Instances - perOwnClient; i++)
            {
                await CycleAsync(http, shared, i);
            }

            // While the shared client lives on, every disposed instance has left its channel on the server too.
            await Eventually.TrueAsync(() => registry.Count <= before.ServerChannels, $"LocalStack channels back to {before.ServerChannels} with the shared client still open (now {registry.Count})", TimeSpan.FromSeconds(5));
            GC.Collect();
            var midway = GC.GetTotalMemory(forceFullCollection: true);
            output.WriteLine($"midway (shared client open): LocalStack channels {registry.Count}, managed {midway / 1024} KB");
            Assert.True(midway - before.ManagedBytes < 8 * 1024 * 1024, $"managed memory grew by {(midway - before.ManagedBytes) / 1024} KB with the shared client open");
        }

        // ... and some bring their own realtime client and socket, disposed with them.
        for (var i = 0; i < perOwnClient; i++)
        {
            await using var own = NewRealtime();
            await CycleAsync(http, own, i);
        }

        http.Dispose();
        var elapsed = sw.ElapsedMilliseconds;
        await SettleAsync();
        var after = Measure(port, registry.Count);
        // Timers and sockets of work still winding down (a Task.Delay, a closing handshake) settle within seconds on a
        // loaded machine; a leak of 1,000 instances would not.
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline && !Settled(before, after); after = Measure(port, registry.Count))
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(250);
        }
        output.WriteLine($"{Instances} instances ({Instances - perOwnClient} on a shared client, {perOwnClient} with their own socket) in {elapsed} ms");
        output.WriteLine($"before: {before}");
        output.WriteLine($"after:  {after}");

        // Relative to the baseline: other tests of the run may hold their own clients open meanwhile.
        Assert.True(after.Sockets <= before.Sockets, $"sockets {before.Sockets} -> {after.Sockets}");
        Assert.True(after.ServerChannels <= before.ServerChannels, $"LocalStack channels {before.ServerChannels} -> {after.ServerChannels}");
        Assert.True(after.ManagedBytes - before.ManagedBytes < 8 * 1024 * 1024, $"managed memory grew by {(after.ManagedBytes - before.ManagedBytes) / 1024} KB");
        Assert.True(after.Timers <= before.Timers + 8, $"timers {before.Timers} -> {after.Timers}");
        Assert.True(after.Threads <= before.Threads + 16, $"threads {before.Threads} -> {after.Threads}");
    }

    private static bool Settled(Snapshot before, Snapshot after) =>
        after.Sockets <= before.Sockets && after.ServerChannels <= before.ServerChannels &&
        after.Timers <= before.Timers + 8 && after.Threads <= before.Threads + 16 &&
        after.ManagedBytes - before.ManagedBytes < 8 * 1024 * 1024;

    private static async Task SettleAsync()
    {
        var until = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < until)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(200);
        }
    }

    private sealed record Snapshot(int Sockets, int ServerChannels, long ManagedBytes, long Timers, int Threads)
    {
        public override string ToString() =>
            $"client sockets to the stack {Sockets}, LocalStack channels {ServerChannels}, managed {ManagedBytes / 1024} KB, active timers {Timers}, threads {Threads}";
    }

    private static Snapshot Measure(int port, int serverChannels) => new(
        OpenClientSockets(port),
        serverChannels,
        GC.GetTotalMemory(forceFullCollection: true),
        Timer.ActiveCount,
        Process.GetCurrentProcess().Threads.Count);

    /// <summary>Established (or half-closed) TCP connections whose remote end is the stack's port: sockets of clients in this machine.</summary>
    private static int OpenClientSockets(int port)
    {
        var count = 0;
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var remotePort = int.Parse(parts[2].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (remotePort == port && parts[3] is "01" or "08")
                {
                    count++;
                }
            }
        }
        return count;
    }
}
