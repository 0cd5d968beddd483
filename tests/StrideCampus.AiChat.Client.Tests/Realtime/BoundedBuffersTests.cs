using System.Net;
using System.Net.Sockets;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>Issue 13 point 11: what a server (or its absence) can make the client hold or wait for is bounded.</summary>
public sealed class BoundedBuffersTests : RealtimeTestBase
{
    [Fact]
    public async Task SubscribeAsync_without_a_token_gives_up_after_the_timeout_while_the_socket_cannot_connect()
    {
        // A loopback port nobody listens on: every connect is refused.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var client = NewClient(o =>
        {
            o.Url = new Uri($"http://127.0.0.1:{port}");
            o.Timeout = TimeSpan.FromMilliseconds(300);
        });
        var channel = client.Channel("unreachable");

        var failure = await Assert.ThrowsAsync<RealtimeException>(() => channel.SubscribeAsync().WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Equal(SubscribeStatus.TimedOut, failure.Status);
        Assert.Contains("did not connect", failure.Message, StringComparison.Ordinal);
    }
}
