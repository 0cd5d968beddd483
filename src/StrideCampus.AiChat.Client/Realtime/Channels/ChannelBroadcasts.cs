using System.Text.Json;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A channel's broadcasts: one stream per user event (and <c>"*"</c>), decoding of incoming broadcasts (JSON or the
/// 2.0.0 binary form) and the bodies of outgoing ones. Its lock guards the stream table only; messages are published
/// after it is released.
/// </summary>
internal sealed class ChannelBroadcasts(ILogger logger, string topic)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SafeSubject<BroadcastMessage>> _subjects = new(StringComparer.Ordinal);

    public IObservable<BroadcastMessage> Observe(string @event)
    {
        lock (_gate)
        {
            if (!_subjects.TryGetValue(@event, out var subject))
            {
                _subjects[@event] = subject = new SafeSubject<BroadcastMessage>(logger, topic + " broadcast " + @event);
            }

            return subject;
        }
    }

    /// <summary>Decodes a broadcast frame and publishes it to its event's stream and to <c>"*"</c>.</summary>
    /// <exception cref="FormatException">A JSON broadcast without an event.</exception>
    public void Deliver(in IncomingFrame frame)
    {
        var message = Decode(in frame);
        SafeSubject<BroadcastMessage>? specific, all;
        lock (_gate)
        {
            _subjects.TryGetValue(message.Event, out specific);
            _subjects.TryGetValue("*", out all);
        }

        specific?.OnNext(message);
        if (!ReferenceEquals(all, specific))
        {
            all?.OnNext(message);
        }
    }

    public void Complete()
    {
        SafeSubject<BroadcastMessage>[] subjects;
        lock (_gate)
        {
            subjects = [.. _subjects.Values];
        }

        foreach (var subject in subjects)
        {
            subject.OnCompleted();
        }
    }

    /// <summary>The push body: the bare payload for a binary broadcast, <c>{type, event, payload}</c> for a JSON one.</summary>
    public static byte[] Body<TState>(string @event, bool binary, TState state, Action<Utf8JsonWriter, TState> writePayload) =>
        binary
            ? ChannelPayloads.Serialize((State: state, Write: writePayload), static (w, s) => s.Write(w, s.State))
            : ChannelPayloads.Serialize((Event: @event, State: state, Write: writePayload), static (w, s) =>
            {
                w.WriteStartObject();
                w.WriteString("type"u8, "broadcast");
                w.WriteString("event"u8, s.Event);
                w.WritePropertyName("payload"u8);
                s.Write(w, s.State);
                w.WriteEndObject();
            });

    private static BroadcastMessage Decode(in IncomingFrame frame)
    {
        if (frame.BroadcastEvent is not null)
        {
            var meta = frame.BroadcastMeta.Length > 0 ? ChannelPayloads.Parse(frame.BroadcastMeta.Span) : (JsonElement?)null;
            return frame.BroadcastPayloadIsJson
                ? new BroadcastMessage(frame.BroadcastEvent, ChannelPayloads.Parse(frame.Payload.Span)) { Meta = meta }
                : new BroadcastMessage(frame.BroadcastEvent, default) { BinaryPayload = frame.Payload.ToArray(), Meta = meta };
        }

        var payload = ChannelPayloads.Parse(frame.Payload.Span);
        if (payload.ValueKind != JsonValueKind.Object
            || !payload.TryGetProperty("event"u8, out var ev)
            || ev.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("broadcast payload without event");
        }

        var inner = payload.TryGetProperty("payload"u8, out var p) ? p : default;
        return new BroadcastMessage(ev.GetString()!, inner)
        {
            Meta = payload.TryGetProperty("meta"u8, out var m) ? m : null,
        };
    }
}
