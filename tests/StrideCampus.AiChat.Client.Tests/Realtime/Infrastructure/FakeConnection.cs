using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

/// <summary>One client socket on the fake server. Heartbeats are answered automatically unless disabled.</summary>
public sealed class FakeConnection
{
    private readonly WebSocket _socket;
    private readonly HttpContext _context;
    private readonly Channel<ServerFrame> _frames = Channel.CreateUnbounded<ServerFrame>();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _serverRef = 1000;

    public FakeConnection(WebSocket socket, HttpContext context, bool autoHeartbeat)
    {
        _socket = socket;
        _context = context;
        AutoHeartbeat = autoHeartbeat;
        Query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
    }

    public IReadOnlyDictionary<string, string> Query { get; }

    public bool AutoHeartbeat { get; set; }

    public int Heartbeats;

    public ConcurrentQueue<ServerFrame> All { get; } = new();

    public Task Closed => _closed.Task;

    public bool IsV1 => Query.TryGetValue("vsn", out var v) && v == "1.0.0";

    internal async Task RunAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var count = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), _context.RequestAborted);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    try
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }
                    catch (WebSocketException)
                    {
                    }

                    break;
                }

                var frame = ServerFrame.Parse(buffer.AsSpan(0, count).ToArray(), result.MessageType == WebSocketMessageType.Binary);
                All.Enqueue(frame);
                if (frame.Topic == "phoenix" && frame.Event == "heartbeat")
                {
                    Interlocked.Increment(ref Heartbeats);
                    if (AutoHeartbeat)
                    {
                        await ReplyAsync(frame, "ok");
                    }

                    continue;
                }

                _frames.Writer.TryWrite(frame);
            }
        }
        catch (Exception)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
            _closed.TrySetResult();
        }
    }

    /// <summary>The next non-heartbeat frame.</summary>
    public async Task<ServerFrame> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("No frame arrived in time.");
        }
    }

    /// <summary>The next frame with this event (other frames are skipped).</summary>
    public async Task<ServerFrame> ExpectAsync(string @event, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var frame = await ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (frame.Event == @event)
            {
                return frame;
            }
        }
    }

    /// <summary>True when no non-heartbeat frame arrives within <paramref name="wait"/>.</summary>
    public async Task<ServerFrame?> TryReceiveAsync(TimeSpan wait)
    {
        try
        {
            return await ReceiveAsync(wait);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    public Task SendAsync(string? joinRef, string? @ref, string topic, string @event, string payloadJson)
    {
        var text = IsV1
            ? $"{{\"topic\":{ServerFrame.JsonEncode(topic)},\"event\":{ServerFrame.JsonEncode(@event)},\"payload\":{payloadJson},\"ref\":{ServerFrame.JsonEncode(@ref)}}}"
            : $"[{ServerFrame.JsonEncode(joinRef)},{ServerFrame.JsonEncode(@ref)},{ServerFrame.JsonEncode(topic)},{ServerFrame.JsonEncode(@event)},{payloadJson}]";
        return SendTextAsync(text);
    }

    public Task SendTextAsync(string text) => SendRawAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public Task SendBinaryAsync(byte[] data) => SendRawAsync(data, WebSocketMessageType.Binary);

    public Task ReplyAsync(ServerFrame push, string status, string responseJson = "{}") =>
        SendAsync(push.JoinRef, push.Ref, push.Topic, "phx_reply", $"{{\"status\":\"{status}\",\"response\":{responseJson}}}");

    /// <summary>Pushes a server event on the channel of <paramref name="join"/> (with its join_ref).</summary>
    public Task PushAsync(ServerFrame join, string @event, string payloadJson) =>
        SendAsync(join.Ref, null, join.Topic, @event, payloadJson);

    public string NextServerRef() => Interlocked.Increment(ref _serverRef).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Kills the TCP connection without a close handshake.</summary>
    public void Abort() => _context.Abort();

    public async Task CloseAsync()
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task SendRawAsync(byte[] data, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(data, type, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
