namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>
/// The HTTP handler under the SDK's <see cref="HttpClient"/>s: a pooled <see cref="SocketsHttpHandler"/> where
/// sockets exist, the platform's default handler elsewhere (in browser WebAssembly that is the browser's fetch,
/// and <see cref="SocketsHttpHandler"/> throws <see cref="PlatformNotSupportedException"/>).
/// </summary>
internal static class PrimaryHttpHandler
{
    public static HttpMessageHandler Create(bool socketsSupported) => socketsSupported
#pragma warning disable CA1416 // Guarded by SocketsHttpHandler.IsSupported (the caller's argument).
        ? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }
#pragma warning restore CA1416
        : new HttpClientHandler();

    public static HttpMessageHandler Create() => Create(SocketsHttpHandler.IsSupported);
}
