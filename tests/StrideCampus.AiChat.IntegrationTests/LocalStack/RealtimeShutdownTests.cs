using System.Diagnostics;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>Runs its own stack: disposing it must close realtime sockets promptly and end replication.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class RealtimeShutdownTests
{
    [Fact]
    public async Task Disposing_the_stack_closes_sockets_and_returns_promptly()
    {
        var stack = await LocalStackServer.StartAsync();
        PhoenixTestSocket? socket = null;
        try
        {
            socket = await PhoenixTestSocket.ConnectAsync(stack.ApiUrl, stack.AnonKey);
            await socket.PushAsync("1", "1", "realtime:bye", "phx_join", new { config = new { } });
            await socket.WaitForReplyAsync("1");
            Assert.True(await RealtimeTestData.ScalarAsync<bool>(stack, "select exists(select 1 from pg_replication_slots where temporary and active)"));
        }
        finally
        {
            var sw = Stopwatch.StartNew();
            await stack.DisposeAsync();
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"dispose took {sw.Elapsed}");
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            Assert.Null(await socket.ReceiveAsync(cts.Token));
        }
        catch (System.Net.WebSockets.WebSocketException)
        {
            // an aborted connection is a closed socket too
        }
        await socket.DisposeAsync();
    }
}
