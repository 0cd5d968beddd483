using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

/// <summary>A loopback WebSocket server at /realtime/v1/websocket whose connections the test scripts frame by frame.</summary>
public sealed class FakeRealtimeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<FakeConnection> _connections = Channel.CreateUnbounded<FakeConnection>();

    private FakeRealtimeServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int ConnectionCount { get; private set; }

    /// <summary>Whether new connections answer heartbeats by themselves.</summary>
    public bool AutoHeartbeat { get; set; } = true;

    public static async Task<FakeRealtimeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeRealtimeServer(app);
        app.UseWebSockets();
        app.Map("/realtime/v1/websocket", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address);
        return server;
    }

    public async Task<FakeConnection> AcceptAsync(TimeSpan? timeout = null) =>
        await _connections.Reader.ReadAsync(new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10)).Token);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = new FakeConnection(socket, context, AutoHeartbeat);
        ConnectionCount++;
        _connections.Writer.TryWrite(connection);
        await connection.RunAsync();
    }
}
