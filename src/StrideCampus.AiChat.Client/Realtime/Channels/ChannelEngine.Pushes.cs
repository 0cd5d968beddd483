using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Pushes (broadcast, presence): sent when joined, buffered (bounded) before, flushed in order on join.</summary>
internal sealed partial class ChannelEngine
{
    /// <summary>Leaves are sent even though the channel moved on (they end the server side of that join).</summary>
    private static readonly Func<bool> Always = static () => true;

    private readonly SizedQueue<BufferedPush> _pushBuffer = new(static p => p.Body.Length);

    public async Task SendBroadcastAsync<TState>(string @event, TState state, Action<Utf8JsonWriter, TState> writePayload, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(writePayload);
        var options = _connector.Options;
        var binary = options.BinaryBroadcasts && options.Version == RealtimeSerializerVersion.V2;
        var body = ChannelBroadcasts.Body(@event, binary, state, writePayload);
        var push = new BufferedPush(PhoenixEvents.Broadcast, body, _options.BroadcastAck) { BinaryEvent = binary ? @event : null };
        await PushAsync(push, cancellationToken).ConfigureAwait(false);
    }

    public Task TrackAsync(JsonElement meta, CancellationToken cancellationToken) =>
        PushAsync(new BufferedPush(PhoenixEvents.Presence, _presence.Track(meta), ExpectReply: true), cancellationToken);

    public Task UntrackAsync(CancellationToken cancellationToken) =>
        PushAsync(new BufferedPush(PhoenixEvents.Presence, _presence.Untrack(), ExpectReply: true), cancellationToken);

    private async Task PushAsync(BufferedPush push, CancellationToken cancellationToken)
    {
        var options = _connector.Options;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, Facade);
            if (!_wantJoined)
            {
                throw new RealtimeException($"Channel {Topic} is not subscribed: call SubscribeAsync first.");
            }

            if (_state == ChannelState.Joined && _connector.IsConnected)
            {
                SendLocked(push);
            }
            else if (!_pushBuffer.HasRoomFor(push, options.PushBufferLimit, options.PushBufferByteLimit))
            {
                RealtimeLog.PushBufferFull(_logger, Topic, options.PushBufferLimit);
                throw new RealtimeException($"Channel {Topic} is not joined and its push buffer is full.");
            }
            else
            {
                _pushBuffer.Enqueue(push);
            }
        }

        PushReply reply;
        try
        {
            reply = await push.Completion.Task.WaitAsync(options.Timeout, _connector.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            push.Completion.TrySetResult(PushReply.TimedOut);
            reply = PushReply.TimedOut;
        }

        if (!reply.IsOk)
        {
            throw new RealtimeException($"Push {push.Event} on {Topic} failed: {reply.Reason}");
        }
    }

    private void FlushLocked()
    {
        while (_pushBuffer.TryDequeue(out var push))
        {
            if (!push.Completion.Task.IsCompleted)
            {
                SendLocked(push);
            }
        }
    }

    private void SendLocked(BufferedPush push)
    {
        var @ref = _connector.MakeRef();
        if (push.ExpectReply)
        {
            // Completes asynchronously (RunContinuationsAsynchronously): nothing runs under a gate.
            _connector.RegisterReply(@ref, _joinRef, Topic, reply => push.Completion.TrySetResult(reply));
        }

        var queued = push.BinaryEvent is not null
            ? EnqueueBinaryLocked(@ref, push.BinaryEvent, push.Body)
            : EnqueueLocked(push.Event, @ref, push.Body, null);
        if (!queued)
        {
            _connector.CompleteReply(@ref, PushReply.Failed);
            push.Completion.TrySetResult(PushReply.Failed);
        }
        else if (!push.ExpectReply)
        {
            push.Completion.TrySetResult(PushReply.Succeeded);
        }
    }

    private bool EnqueueLocked(string @event, string @ref, byte[] payload, Func<bool>? isCurrent)
    {
        var joinRef = _joinRef;
        var data = _connector.Serializer.EncodeText(joinRef, @ref, Topic, @event, payload, static (w, p) => w.WriteRawValue(p, skipInputValidation: true));
        return _connector.Enqueue(new OutgoingFrame(data, false, Topic, @event, isCurrent ?? (() => IsJoinRef(joinRef))));
    }

    private bool EnqueueBinaryLocked(string @ref, string userEvent, byte[] payload)
    {
        var joinRef = _joinRef;
        var data = PhoenixSerializer.EncodeUserBroadcastPush(joinRef, @ref, Topic, userEvent, payload, payloadIsJson: true);
        return _connector.Enqueue(new OutgoingFrame(data, true, Topic, PhoenixEvents.Broadcast, () => IsJoinRef(joinRef)));
    }

    private bool IsJoinRef(string? joinRef)
    {
        lock (_gate)
        {
            return _joinRef == joinRef;
        }
    }

    private sealed record BufferedPush(string Event, byte[] Body, bool ExpectReply)
    {
        public TaskCompletionSource<PushReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? BinaryEvent { get; init; }
    }
}
