using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StrideCampus.AiChat.BrowserTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of LocalStack that the browser uses as its Supabase URL, so a test can
/// take realtime away: <see cref="Close"/> resets every realtime WebSocket connection and refuses new
/// ones (auth and REST still pass), <see cref="Open"/> lets them through again.
/// </summary>
public sealed class RealtimeGate : IAsyncDisposable
{
    private static readonly byte[] RealtimeRequest = Encoding.ASCII.GetBytes("GET /realtime/");
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, TcpClient Upstream)> _realtimeLinks = new();
    private readonly Task _accept;
    private volatile bool _closed;
    private int _next;

    public RealtimeGate(Uri target)
    {
        _target = target;
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accept = AcceptLoopAsync();
    }

    public Uri Url { get; }

    /// <summary>Resets every realtime connection and refuses new ones until <see cref="Open"/>.</summary>
    public void Close()
    {
        _closed = true;
        foreach (var (id, link) in _realtimeLinks)
        {
            Reset(link.Client);
            Reset(link.Upstream);
            _realtimeLinks.TryRemove(id, out _);
        }
    }

    /// <summary>Lets realtime connections through again.</summary>
    public void Open() => _closed = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Close();
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
            _ = LinkAsync(client, Interlocked.Increment(ref _next));
        }
    }

    private async Task LinkAsync(TcpClient client, int id)
    {
        var upstream = new TcpClient();
        try
        {
            // The first bytes of a connection are its first request line: a WebSocket upgrade to realtime or not.
            var first = new byte[8192];
            var read = await client.GetStream().ReadAsync(first, _stop.Token);
            var realtime = first.AsSpan(0, read).StartsWith(RealtimeRequest);
            if (read == 0 || (realtime && _closed))
            {
                Reset(client);
                upstream.Dispose();
                return;
            }
            await upstream.ConnectAsync(_target.Host, _target.Port, _stop.Token);
            if (realtime)
            {
                _realtimeLinks[id] = (client, upstream);
                if (_closed)
                {
                    Close();
                    return;
                }
            }
            await upstream.GetStream().WriteAsync(first.AsMemory(0, read), _stop.Token);
            var up = PumpAsync(client.GetStream(), upstream.GetStream());
            var down = PumpAsync(upstream.GetStream(), client.GetStream());
            await Task.WhenAny(up, down);
        }
        catch (Exception)
        {
        }
        finally
        {
            _realtimeLinks.TryRemove(id, out _);
            Reset(client);
            Reset(upstream);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16384];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception)
        {
        }
    }
}
