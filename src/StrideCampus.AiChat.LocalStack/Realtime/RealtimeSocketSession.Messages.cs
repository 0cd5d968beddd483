using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary> Broadcast and presence messages of a joined channel. </summary>
internal sealed partial class RealtimeSocketSession
{
    private async Task HandleBroadcastAsync(ChannelSubscription channel, PhoenixMessage message)
    {
        if (channel.IsPrivate && (await EnsureWritePoliciesAsync(channel).ConfigureAwait(false)).BroadcastWrite != true)
        {
            // Supabase drops a broadcast without write permission silently: no delivery and no ack.
            _logger.LogDebug("Broadcast on private {Topic} dropped: no write permission", channel.Topic);
            return;
        }
        if (_frameBytes > _service.Options.MaxPayloadBytes)
        {
            // supabase/realtime broadcast_handler.ex: not relayed; with ack the sender gets an error reply.
            _logger.LogInformation("Broadcast of {Bytes} bytes on {Topic} dropped: over {Max}", _frameBytes, channel.Topic, _service.Options.MaxPayloadBytes);
            if (channel.Ack)
            {
                Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "error", w => WriteReason(w, "payload_size_exceeded")));
            }
            return;
        }
        var quota = _service.Options.Quota;
        quota?.CountInbound();
        // Encoded once per serializer (null: that serializer cannot carry it), the bytes shared by every target.
        var frames = new Dictionary<PhoenixSerializer, OutboundFrame?>(2);
        foreach (var target in _service.Registry.OnTopic(channel.RoutingKey))
        {
            if (target.IsClosed || (!channel.Self && ReferenceEquals(target, channel)) || !target.CanReceiveBroadcast)
            {
                continue;
            }
            try
            {
                var serializer = target.Session.Serializer;
                if (!frames.TryGetValue(serializer, out var frame))
                {
                    frame = message.Broadcast is { } user
                        ? serializer.EncodeBroadcast(channel.Topic, user)
                        : serializer.Encode(null, null, channel.Topic, "broadcast", w => message.Payload.WriteTo(w));
                    frames[serializer] = frame;
                }
                if (frame is { } f)
                {
                    target.Session.Send(f);
                    if (quota?.CountDelivery() == true)
                    {
                        target.Session.Shutdown(target, TenantQuota.TooManyMessages);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One target that cannot take it (a serializer that refuses the payload, a socket going away) stops no other.
                frames[target.Session.Serializer] = null;
                _logger.LogWarning(ex, "Broadcast on {Topic} not delivered to one socket", channel.Topic);
            }
        }
        if (channel.Ack)
        {
            Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "ok"));
        }
    }

    private async Task HandlePresenceAsync(ChannelSubscription channel, PhoenixMessage message)
    {
        var ev = GetString(message.Payload, "event")?.ToLowerInvariant();
        switch (ev)
        {
            case "track":
                var meta = Get(message.Payload, "payload");
                if (meta.ValueKind == JsonValueKind.Undefined)
                {
                    meta = JsonDocument.Parse("{}").RootElement;
                }
                if (channel.IsPrivate)
                {
                    if ((await EnsureWritePoliciesAsync(channel, presenceTrack: true).ConfigureAwait(false)).PresenceWrite != true)
                    {
                        // Supabase answers a track without presence write with a bare error reply.
                        Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "error"));
                        return;
                    }
                }
                if (_frameBytes > _service.Options.MaxPayloadBytes)
                {
                    // supabase/realtime realtime_channel.ex handle_in("presence"): payload_size_exceeded ends the channel.
                    Shutdown(channel, "Track message size exceeded");
                    return;
                }
                if (meta.ValueKind != JsonValueKind.Object)
                {
                    Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "error", w => WriteReason(w, "Presence track payload must be a map")));
                    return;
                }
                channel.PresenceEnabled = true;
                _service.Presence.Track(channel, meta);
                Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "ok"));
                break;
            case "untrack":
                _service.Presence.Untrack(channel);
                Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "ok"));
                break;
            default:
                Send(Serializer.Reply(message.JoinRef, message.Ref, channel.Topic, "error"));
                break;
        }
    }
}
