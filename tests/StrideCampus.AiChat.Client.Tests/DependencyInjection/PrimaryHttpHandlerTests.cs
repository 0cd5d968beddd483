using StrideCampus.AiChat.Client.DependencyInjection;

namespace StrideCampus.AiChat.Client.Tests.DependencyInjection;

// In browser WebAssembly SocketsHttpHandler throws PlatformNotSupportedException on construction (the web demo
// failed to start in Chromium): there the SDK's HttpClients stand on the platform's default handler (fetch).
public sealed class PrimaryHttpHandlerTests
{
    [Fact]
    public void Without_sockets_the_platform_default_handler_is_used()
    {
        using var handler = PrimaryHttpHandler.Create(socketsSupported: false);
        Assert.IsType<HttpClientHandler>(handler);
    }

    [Fact]
    public void With_sockets_a_pooled_handler_recycles_connections_every_five_minutes()
    {
        using var handler = PrimaryHttpHandler.Create(socketsSupported: true);
        Assert.Equal(TimeSpan.FromMinutes(5), Assert.IsType<SocketsHttpHandler>(handler).PooledConnectionLifetime);
    }
}
