using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Serializer 1.0.0: each frame is a JSON object <c>{topic, event, payload, ref, join_ref}</c>.</summary>
internal sealed class PhoenixSerializerV1 : PhoenixSerializer
{
    public override string Version => "1.0.0";

    public override PhoenixMessage? DecodeText(ReadOnlySpan<byte> utf8)
    {
        if (!TryParse(utf8, out var root) || root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (!root.TryGetProperty("topic", out var topic) || topic.ValueKind != JsonValueKind.String ||
            !root.TryGetProperty("event", out var ev) || ev.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        var payload = root.TryGetProperty("payload", out var p) ? p : default;
        var @ref = root.TryGetProperty("ref", out var r) ? ReadRef(r) : null;
        var joinRef = root.TryGetProperty("join_ref", out var j) ? ReadRef(j) : null;
        return new PhoenixMessage(joinRef, @ref, topic.GetString()!, ev.GetString()!, payload);
    }

    public override OutboundFrame? EncodeBroadcast(string topic, UserBroadcast broadcast)
    {
        if (!broadcast.IsJson)
        {
            return null; // 1.0.0 cannot carry binary payloads
        }
        return Encode(null, null, topic, "broadcast", w =>
        {
            w.WriteStartObject();
            w.WriteString("event", broadcast.Event);
            w.WritePropertyName("payload");
            w.WriteRawValue(broadcast.Payload.Span, skipInputValidation: false);
            w.WriteString("type", "broadcast");
            w.WriteEndObject();
        });
    }

    protected override void WriteEnvelope(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event, PayloadWriter payload)
    {
        writer.WriteStartObject();
        writer.WriteString("topic", topic);
        writer.WriteString("event", @event);
        writer.WritePropertyName("payload");
        payload(writer);
        writer.WritePropertyName("ref");
        WriteRef(writer, @ref);
        writer.WritePropertyName("join_ref");
        WriteRef(writer, joinRef);
        writer.WriteEndObject();
    }
}
