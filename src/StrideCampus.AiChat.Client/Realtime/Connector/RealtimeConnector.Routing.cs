using System.Globalization;
using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Decoding, reply correlation by ref and routing by topic, all on the receive loop.</summary>
internal sealed partial class RealtimeConnector
{
    private readonly Utf8StringCache _names = new(64);
    private readonly List<long> _ids = new(8);
    private readonly PostgresChangeFrame _change = new();
    private volatile ChannelRoute? _lastRoute;
    private long _removals;

    public string MakeRef() => Interlocked.Increment(ref _ref).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Registers a reply wait for a push; it completes on the reply, after <see cref="RealtimeClientOptions.Timeout"/>,
    /// or when the socket drops. Lock-free; the callback runs later, on the receive loop or a timer, with no lock held.
    /// </summary>
    public PendingReply RegisterReply(string @ref, string? joinRef, string topic, Action<PushReply>? callback, TimeSpan? timeout = null)
    {
        var pending = new PendingReply(@ref, joinRef, topic, callback);
        _pending[@ref] = pending;
        pending.SetTimer(_time.CreateTimer(
            static state =>
            {
                var (connector, p) = ((RealtimeConnector, PendingReply))state!;
                connector.CompleteReply(p.Ref, PushReply.TimedOut);
            },
            (this, pending),
            timeout ?? _options.Timeout,
            Timeout.InfiniteTimeSpan));
        return pending;
    }

    public void CompleteReply(string @ref, PushReply reply)
    {
        if (_pending.TryRemove(@ref, out var pending))
        {
            try
            {
                pending.Complete(reply);
            }
#pragma warning disable CA1031 // A reply handler must not break the loop or a timer thread.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                RealtimeLog.ObserverFailed(_logger, ex, "reply of " + pending.Topic);
            }
        }
    }

    /// <summary>Decodes and dispatches one frame (internal for tests and benchmarks). Malformed frames are logged and dropped.</summary>
    public void Dispatch(ReadOnlyMemory<byte> data, bool binary, SocketConnection? connection = null)
    {
        IncomingFrame frame;
        try
        {
            frame = binary ? _serializer.DecodeBinary(data) : _serializer.DecodeText(data);
        }
        catch (NotSupportedException)
        {
            RealtimeLog.UnsupportedBinary(_logger, data.Length > 0 ? data.Span[0] : -1);
            return;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            RealtimeLog.MalformedFrame(_logger, ex, binary ? "binary" : "text", data.Length, ex.Message);
            return;
        }

        try
        {
            if (frame.Event == PhoenixEvents.Reply)
            {
                if (frame.Topic == PhoenixEvents.PhoenixTopic && connection is not null && frame.Ref is not null)
                {
                    connection.OnHeartbeatReply(frame.Ref);
                    return;
                }

                HandleReply(in frame);
                return;
            }

            // Frames come in runs of one topic (the decoder hands out one string instance per topic).
            var route = _lastRoute;
            var removals = Volatile.Read(ref _removals);
            IRoutedChannel? channel;
            if (route is not null && ReferenceEquals(route.Topic, frame.Topic) && route.Removals == removals)
            {
                channel = route.Channel;
            }
            else if (_channels.TryGetValue(frame.Topic, out channel))
            {
                _lastRoute = new ChannelRoute(frame.Topic, channel, removals); // a removal since makes it stale
            }
            else
            {
                RealtimeLog.UnknownTopic(_logger, frame.Event, frame.Topic);
                return;
            }

            channel.HandleFrame(in frame, _names, _ids, _change);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            RealtimeLog.MalformedFrame(_logger, ex, binary ? "binary" : "text", data.Length, ex.Message);
        }
    }

    private void HandleReply(in IncomingFrame frame)
    {
        if (frame.Ref is null
            || !_pending.TryGetValue(frame.Ref, out var pending)
            || pending.Topic != frame.Topic
            || (frame.JoinRef is not null && pending.JoinRef is not null && frame.JoinRef != pending.JoinRef))
        {
            RealtimeLog.UnknownReply(_logger, frame.Ref, frame.Topic);
            return;
        }

        var reply = PhoenixReplyParser.Parse(frame.Payload.Span);
        CompleteReply(frame.Ref, PushReply.FromWire(reply.Status, reply.Response));
    }

    private void CancelPending()
    {
        foreach (var key in _pending.Keys)
        {
            CompleteReply(key, PushReply.Cancelled);
        }
    }
}
