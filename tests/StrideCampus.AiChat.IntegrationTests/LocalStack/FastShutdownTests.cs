using System.Diagnostics;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// A fast PostgreSQL shutdown waits until every walsender's client has confirmed all WAL sent (PostgreSQL's
/// WalSndDone), the shutdown checkpoint included. LocalStack's replication stream must confirm what it received,
/// not only up to its last decoded commit, or the shutdown hangs until wal_sender_timeout (60 s). (postgres
/// src/backend/replication/walsender.c, WalSndDone: the client's flush position must equal what was sent.)
/// </summary>
public sealed class FastShutdownTests
{
    [Fact]
    public async Task A_fast_shutdown_completes_promptly_while_the_replication_stream_is_connected()
    {
        await using var stack = await LocalStackServer.StartAsync(new LocalStackOptions { AuthRateLimits = false });
        await using (var socket = await PhoenixTestSocket.ConnectAsync(stack.ApiUrl, stack.AnonKey))
        {
            await socket.PushAsync("1", "1", "realtime:shutdown", "phx_join", new { config = new { } });
            await socket.WaitForReplyAsync("1");
        }
        await LocalStackProcess.WaitUntilAsync(
            () => RealtimeTestData.ScalarAsync<bool>(stack, "select exists(select 1 from pg_replication_slots where temporary and active)").GetAwaiter().GetResult(),
            "the replication stream runs");

        // A decoded commit (the stream confirms its LSN), then WAL the publication does not carry (nothing to decode).
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        await RealtimeTestData.CreateSessionAsync(stack, alice);
        await RealtimeTestData.ExecuteAsync(stack, "create table public.shutdown_scratch as select g from generate_series(1, 1000) g");
        // WAL after the last commit that no transaction carries (a checkpoint; the background writer's running-xacts
        // record does the same every 15 s, which made this flaky under load): the walsender sends past the last
        // commit, and the stream must confirm that too.
        await RealtimeTestData.ExecuteAsync(stack, "checkpoint");
        await LocalStackProcess.WaitUntilAsync(
            () => RealtimeTestData.ScalarAsync<bool>(stack, "select sent_lsn >= pg_current_wal_insert_lsn() from pg_stat_replication limit 1").GetAwaiter().GetResult(),
            "the walsender sent the checkpoint");

        var clock = Stopwatch.StartNew();
        await stack.Postgres.StopAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"fast shutdown took {clock.Elapsed}");
    }
}
