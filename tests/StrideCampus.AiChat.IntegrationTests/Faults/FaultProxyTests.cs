using System.Diagnostics;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Faults;

/// <summary>The proxy on its own: pass, delay, stall, drop, refuse, dispose.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class FaultProxyTests(LocalStackFixture fixture)
{
    [Fact]
    public async Task Passes_delays_stalls_drops_and_refuses()
    {
        await using var proxy = new FaultProxy(fixture.Stack.ApiUrl.Port);
        using var http = new HttpClient { BaseAddress = proxy.Url, Timeout = TimeSpan.FromSeconds(2) };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(1, proxy.OpenConnections); // kept alive by HttpClient

        proxy.Delay = TimeSpan.FromMilliseconds(150);
        var sw = Stopwatch.StartNew();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        Assert.True(sw.ElapsedMilliseconds >= 280, $"{sw.ElapsedMilliseconds} ms for a delayed round trip");
        proxy.Delay = TimeSpan.Zero;

        Assert.Equal(1, proxy.StallOpenConnections());
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => http.GetAsync("/health"));
        Assert.Equal(1, proxy.DropStalled());

        using var http2 = new HttpClient { BaseAddress = proxy.Url, Timeout = TimeSpan.FromSeconds(2) };
        var pending = http2.GetAsync("/health");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await pending).StatusCode);
        Assert.True(proxy.DropAll() >= 1);
        proxy.RefuseNew = true;
        using var http3 = new HttpClient { BaseAddress = proxy.Url, Timeout = TimeSpan.FromSeconds(2) };
        // A connection reset right after connect reaches HttpClient's caller as HttpRequestException, or (when
        // the reset wins the race with reading the endpoint) as a bare SocketException.
        var refused = await Record.ExceptionAsync(() => http3.GetAsync("/health"));
        Assert.True(refused is HttpRequestException or System.Net.Sockets.SocketException, $"refused connection: {refused}");
        proxy.RefuseNew = false;
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http3.GetAsync("/health")).StatusCode);
        await proxy.DisposeAsync();
        Assert.Equal(0, proxy.OpenConnections);
    }
}
