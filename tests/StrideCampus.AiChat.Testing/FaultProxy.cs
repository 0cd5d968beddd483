using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace StrideCampus.AiChat.Testing;

/// <summary>
/// A loopback TCP proxy between a client and a server port that injects network faults: drop every
/// connection now (RST), stall the open connections (sockets stay open, nothing is forwarded: only
/// heartbeats can notice), delay each forwarded chunk, refuse new connections, or take realtime away alone
/// (<see cref="RefuseRealtime"/>: auth and REST still pass). Bounded (at most <see cref="MaxConnections"/> at once)
/// and disposable.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    public const int MaxConnections = 256;

    private static readonly byte[] RealtimeRequest = "GET /realtime/"u8.ToArray();

    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Link> _links = new();
    private readonly Task _acceptLoop;
    private long _nextId;
    private int _delayMs;
    private volatile bool _refuse;
    private volatile bool _refuseRealtime;
    private int _disposed;

    public FaultProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    /// <summary>Connections currently open through the proxy.</summary>
    public int OpenConnections => _links.Count;

    /// <summary>Connections accepted so far.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _nextId);

    /// <summary>Bytes forwarded so far (both directions).</summary>
    public long ForwardedBytes => Interlocked.Read(ref _forwarded);

    private long _forwarded;

    /// <summary>Each chunk waits this long before it is forwarded (0: none). Order is kept per direction.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromMilliseconds(Volatile.Read(ref _delayMs));
        set => Volatile.Write(ref _delayMs, (int)value.TotalMilliseconds);
    }

    /// <summary>New connections are reset at once (the server looks down).</summary>
    public bool RefuseNew
    {
        get => _refuse;
        set => _refuse = value;
    }

    /// <summary>
    /// While set, realtime WebSocket connections (a first request line <c>GET /realtime/</c>) are reset, open ones at
    /// once and new ones as they send it; other requests pass.
    /// </summary>
    public bool RefuseRealtime
    {
        get => _refuseRealtime;
        set
        {
            _refuseRealtime = value; // before the scan: a link classified meanwhile sees the flag itself
            if (value)
            {
                foreach (var link in _links.Values.Where(l => l.Realtime))
                {
                    link.Reset();
                }
            }
        }
    }

    /// <summary>Resets every open connection now (no close handshake).</summary>
    public int DropAll()
    {
        var n = 0;
        foreach (var link in _links.Values)
        {
            link.Reset();
            n++;
        }
        return n;
    }

    /// <summary>Stops forwarding on every open connection (new connections still pass). Returns how many.</summary>
    public int StallOpenConnections()
    {
        var n = 0;
        foreach (var link in _links.Values)
        {
            link.Stalled = true;
            n++;
        }
        return n;
    }

    /// <summary>Resets the stalled connections (a dead path never recovers).</summary>
    public int DropStalled()
    {
        var n = 0;
        foreach (var link in _links.Values.Where(l => l.Stalled))
        {
            link.Reset();
            n++;
        }
        return n;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        try
        {
            await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(5));
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!_links.IsEmpty && DateTime.UtcNow < deadline)
            {
                DropAll();
                await Task.Delay(10);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or TimeoutException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            if (_refuse || _links.Count >= MaxConnections)
            {
                Link.ResetSocket(client);
                continue;
            }
            var id = Interlocked.Increment(ref _nextId);
            _ = Task.Run(() => RunLinkAsync(id, client));
        }
    }

    private async Task RunLinkAsync(long id, Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var link = new Link(client, server);
        _links[id] = link;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            await Task.WhenAny(PumpAsync(link, client, server, fromClient: true), PumpAsync(link, server, client, fromClient: false));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
        }
        finally
        {
            _links.TryRemove(id, out _);
            link.Reset();
        }
    }

    private async Task PumpAsync(Link link, Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[16 * 1024];
        var first = fromClient;
        try
        {
            while (!link.Closed)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (first)
                {
                    // A connection's first bytes are its first request line: a WebSocket upgrade to realtime or not.
                    first = false;
                    link.Realtime = buffer.AsSpan(0, n).StartsWith(RealtimeRequest);
                    if (link.Realtime && _refuseRealtime)
                    {
                        link.Reset();
                        return;
                    }
                }
                var delay = Volatile.Read(ref _delayMs);
                if (delay > 0)
                {
                    await Task.Delay(delay, _stop.Token);
                }
                // Stalled: hold the bytes and the socket until the link is reset.
                while (link.Stalled && !link.Closed)
                {
                    await Task.Delay(20, _stop.Token);
                }
                if (link.Closed)
                {
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                Interlocked.Add(ref _forwarded, n);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private sealed class Link(Socket client, Socket server)
    {
        private int _closed;

        public volatile bool Stalled;

        public volatile bool Realtime;

        public bool Closed => Volatile.Read(ref _closed) == 1;

        public void Reset()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                ResetSocket(client);
                ResetSocket(server);
            }
        }

        public static void ResetSocket(Socket socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0); // close with RST, as a broken network path does
                socket.Close();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
