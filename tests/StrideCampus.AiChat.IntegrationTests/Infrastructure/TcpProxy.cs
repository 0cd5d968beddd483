using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of a server, so a test can kill every connection (a network drop) while the
/// server stays up. <see cref="Url"/> replaces the server's URL in the client's settings.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, TcpClient Upstream)> _links = new();
    private readonly Task _accept;
    private int _next;

    public TcpProxy(Uri target)
    {
        _target = target;
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accept = AcceptLoopAsync();
    }

    public Uri Url { get; }

    public int Accepted => Volatile.Read(ref _next);

    /// <summary>Resets every open connection (both directions), like a network failure.</summary>
    public void DropAll()
    {
        foreach (var (id, link) in _links)
        {
            Reset(link.Client);
            Reset(link.Upstream);
            _links.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        try
        {
            await _accept;
        }
        catch (Exception)
        {
        }

        _stop.Dispose();
    }

    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
            client.Close();
        }
        catch (Exception)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            var id = Interlocked.Increment(ref _next);
            _ = Task.Run(async () =>
            {
                var upstream = new TcpClient();
                try
                {
                    await upstream.ConnectAsync(_target.Host, _target.Port, _stop.Token);
                    _links[id] = (client, upstream);
                    var a = PumpAsync(client.GetStream(), upstream.GetStream());
                    var b = PumpAsync(upstream.GetStream(), client.GetStream());
                    await Task.WhenAny(a, b);
                }
                catch (Exception)
                {
                }
                finally
                {
                    _links.TryRemove(id, out _);
                    Reset(client);
                    Reset(upstream);
                }
            });
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception)
        {
        }
    }
}
