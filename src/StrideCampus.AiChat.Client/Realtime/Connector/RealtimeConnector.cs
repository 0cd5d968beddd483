using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// The engine behind <see cref="RealtimeClient"/>: the socket (opened through the injected transport), the run loop
/// that reconnects with backoff, the send, receive and heartbeat loops, reply correlation by ref and routing of frames
/// by topic to the registered channels.
/// </summary>
/// <remarks>
/// Ownership and locks (no lock is ever held while calling out):
/// <list type="bullet">
/// <item><c>_gate</c> guards the lifecycle fields (<c>_wantConnected</c>, <c>_disposed</c>, <c>_runTask</c>,
/// <c>_runCts</c>, <c>_attempt</c>), the current state and the token fields. Under it only fields are read and written
/// and the run loop is started (<see cref="Task.Run(Func{Task})"/>); cancellation, state publication, attempt
/// completion and channel calls happen after it is released.</item>
/// <item>The run loop owns the socket: one <see cref="SocketConnection"/> at a time, ended lock-free (the first reason
/// wins); only the receive loop dispatches frames, so routing scratch (<c>_names</c>, <c>_ids</c>, <c>_change</c>,
/// <c>_lastRoute</c>) is its alone.</item>
/// <item>The send queue (single reader: the send loop), the reply table and the channel registry are lock-free
/// (<see cref="Channel{T}"/>, <see cref="ConcurrentDictionary{TKey,TValue}"/>); channels call <see cref="Enqueue"/>,
/// <see cref="MakeRef"/> and <see cref="RegisterReply"/> under their own gate, which is safe because those never take a
/// lock, block or call back.</item>
/// <item>Order: channel gate, then nothing. The connector calls channels (open, down, frames, tokens) holding no lock.</item>
/// </list>
/// </remarks>
internal sealed partial class RealtimeConnector
{
    [ThreadStatic]
    private static RealtimeConnector? t_dispatching;

    private readonly RealtimeClientOptions _options;
    private readonly IAccessTokenProvider? _tokens;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PhoenixSerializer _serializer;
    private readonly Uri _endpoint;
    private readonly string _endpointForLogs;
    private readonly Func<Uri, CancellationToken, Task<WebSocket>> _transport;
    private readonly Channel<OutgoingFrame> _sendQueue;
    private long _queuedBytes;
    private readonly ConcurrentDictionary<string, PendingReply> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IRoutedChannel> _channels = new(StringComparer.Ordinal);
    private readonly SafeSubject<ConnectionStateChange> _states;
    private readonly IDisposable? _tokenSubscription;
    private readonly object _gate = new();
    private long _ref;
    private long _epoch;
    private ConnectionStateChange _current = new(ConnectionState.Disconnected, "not connected");
    private bool _wantConnected;
    private bool _disposed;
    private Task? _runTask;
    private CancellationTokenSource? _runCts;
    private TaskCompletionSource<Exception?> _attempt = NewAttempt();
    private SocketConnection? _connection;

    public RealtimeConnector(RealtimeClientOptions options, IAccessTokenProvider? tokens, ILoggerFactory? loggerFactory)
    {
        _options = options;
        _tokens = tokens;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("StrideCampus.AiChat.Client.Realtime");
        _time = options.TimeProvider ?? TimeProvider.System;
        _serializer = new PhoenixSerializer(options.Version);
        (_endpoint, _endpointForLogs) = BuildEndpoint(options.Url, options.ApiKey, _serializer.VersionString);
        _transport = options.WebSocketFactory ?? WebSocketTransport.ConnectClientWebSocketAsync;
        _sendQueue = Channel.CreateBounded<OutgoingFrame>(new BoundedChannelOptions(Math.Max(1, options.SendBufferLimit))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _states = new SafeSubject<ConnectionStateChange>(_logger, "ConnectionStates", _current);
        if (tokens is not null)
        {
            _tokenSubscription = tokens.AccessTokenChanged.Subscribe(new TokenObserver(this));
        }
    }

    public ConnectionState State => Volatile.Read(ref _current).State;

    public IObservable<ConnectionStateChange> ConnectionStates => _states;

    public RealtimeClientOptions Options => _options;

    public ILogger Logger => _logger;

    public TimeProvider Time => _time;

    public PhoenixSerializer Serializer => _serializer;

    public bool IsDisposed => Volatile.Read(ref _disposed);

    public bool IsConnected => Volatile.Read(ref _connection) is { IsOpen: true };

    public int PendingReplyCount => _pending.Count;

    /// <summary>Whether the open socket has no heartbeat waiting for its reply (for tests).</summary>
    public bool PendingHeartbeatAnswered => Volatile.Read(ref _connection) is { PendingHeartbeat: null };

    public ICollection<IRoutedChannel> Channels => _channels.Values;

    public async Task ConnectAsync(object owner, CancellationToken cancellationToken)
    {
        Task<Exception?> attempt;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, owner);
            if (_current.State == ConnectionState.Connected && _wantConnected)
            {
                return;
            }

            attempt = _attempt.Task;
            StartLoopLocked();
        }

        var error = await attempt.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            throw new RealtimeException($"Realtime connect failed: {error.Message}", error);
        }
    }

    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        Task? run;
        CancellationTokenSource? cts;
        lock (_gate)
        {
            _wantConnected = false;
            run = _runTask;
            cts = _runCts;
        }

        // Cancelled outside the gate: cancellation runs the loop's callbacks synchronously.
        try
        {
            cts?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        // Called by an observer on the receive loop: the loop ends once that observer returns; waiting here would deadlock.
        if (run is not null && !ReferenceEquals(t_dispatching, this))
        {
            await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The channel registered for <paramref name="topic"/>, created by <paramref name="create"/> when there is none.</summary>
    public T GetOrAddChannel<T>(string topic, Func<string, T> create)
        where T : class, IRoutedChannel =>
        (T)_channels.GetOrAdd(topic, static (t, c) => c(t), create);

    public void Remove(IRoutedChannel channel)
    {
        _channels.TryRemove(new KeyValuePair<string, IRoutedChannel>(channel.Topic, channel));
        Interlocked.Increment(ref _removals);
    }

    /// <summary>Starts connecting if the app has not (a channel subscribe connects the socket, as in realtime-js).</summary>
    public void EnsureConnecting()
    {
        lock (_gate)
        {
            if (!_disposed && !_wantConnected)
            {
                StartLoopLocked();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _tokenSubscription?.Dispose();
        foreach (var channel in _channels.Values)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }

        await DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
        if (_runTask is null || _runTask.IsCompleted)
        {
            _runCts?.Dispose();
        }

        CancelPending();
        _sendQueue.Writer.TryComplete();
        while (_sendQueue.Reader.TryRead(out var dropped))
        {
            Interlocked.Add(ref _queuedBytes, -dropped.Data.Length);
        }

        SetState(ConnectionState.Disconnected, new DisconnectionInfo(DisconnectReason.Disposed));
        _states.OnCompleted();
    }

    private void StartLoopLocked()
    {
        _wantConnected = true;
        if (_runTask is { IsCompleted: false })
        {
            return;
        }

        _runCts?.Dispose();
        _runCts = new CancellationTokenSource();
        var token = _runCts.Token;
        _runTask = Task.Run(() => RunAsync(token), CancellationToken.None);
    }

    private void CompleteAttempt(Exception? error)
    {
        TaskCompletionSource<Exception?> attempt;
        lock (_gate)
        {
            attempt = _attempt;
            _attempt = NewAttempt();
        }

        attempt.TrySetResult(error);
    }

    private void SetState(ConnectionState state, string reason, Exception? error = null, DisconnectionInfo? disconnection = null)
    {
        var change = new ConnectionStateChange(state, reason, error) { Disconnection = disconnection };
        lock (_gate)
        {
            if (_current.State == state && _current.Reason == reason)
            {
                return;
            }

            _current = change;
        }

        _states.OnNext(change);
    }

    private void SetState(ConnectionState state, DisconnectionInfo disconnection) =>
        SetState(state, disconnection.Description, disconnection.Error, disconnection);

    private static TaskCompletionSource<Exception?> NewAttempt() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal static (Uri Endpoint, string ForLogs) BuildEndpoint(Uri url, string apiKey, string vsn)
    {
        var builder = new UriBuilder(url);
        builder.Scheme = builder.Scheme switch
        {
            "https" => "wss",
            "http" => "ws",
            _ => builder.Scheme,
        };
        var path = builder.Path.TrimEnd('/');
        if (!path.EndsWith("/realtime/v1", StringComparison.Ordinal))
        {
            path += "/realtime/v1";
        }

        builder.Path = path + "/websocket";
        builder.Query = null;
        var forLogs = builder.Uri.ToString();
        builder.Query = "apikey=" + Uri.EscapeDataString(apiKey) + "&vsn=" + vsn;
        return (builder.Uri, forLogs);
    }
}
