using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Writes a message payload (a JSON value) into a frame.</summary>
internal delegate void PayloadWriter(Utf8JsonWriter writer);

/// <summary>
/// Phoenix channel serializers as Supabase Realtime speaks them: 1.0.0 (JSON objects) and 2.0.0
/// (JSON arrays plus binary user broadcasts).
/// </summary>
internal abstract class PhoenixSerializer
{
    public static PhoenixSerializer V1 { get; } = new PhoenixSerializerV1();

    public static PhoenixSerializer V2 { get; } = new PhoenixSerializerV2();

    /// <summary>The serializer for a <c>vsn</c> query value; Phoenix defaults to 1.0.0; null when unsupported.</summary>
    public static PhoenixSerializer? ForVersion(string? vsn) => vsn switch
    {
        null or "" or "1.0.0" => V1,
        "2.0.0" => V2,
        _ => null,
    };

    public abstract string Version { get; }

    /// <summary>Decodes a text frame; null when it is not a Phoenix message.</summary>
    public abstract PhoenixMessage? DecodeText(ReadOnlySpan<byte> utf8);

    /// <summary>Decodes a binary frame; null when this version has none or the frame is malformed.</summary>
    public virtual PhoenixMessage? DecodeBinary(ReadOnlySpan<byte> data) => null;

    /// <summary>Encodes a server message as a text frame.</summary>
    public OutboundFrame Encode(string? joinRef, string? @ref, string topic, string @event, PayloadWriter payload)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, JsonOutput.Writer))
        {
            WriteEnvelope(writer, joinRef, @ref, topic, @event, payload);
        }
        return new OutboundFrame(buffer.WrittenMemory, WebSocketMessageType.Text);
    }

    /// <summary>Encodes a <c>phx_reply</c>.</summary>
    public OutboundFrame Reply(string? joinRef, string? @ref, string topic, string status, PayloadWriter? response = null) =>
        Encode(joinRef, @ref, topic, "phx_reply", w =>
        {
            w.WriteStartObject();
            w.WriteString("status", status);
            w.WritePropertyName("response");
            if (response is null)
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            else
            {
                response(w);
            }
            w.WriteEndObject();
        });

    /// <summary>Encodes a user broadcast for delivery; null when this version cannot carry it.</summary>
    public abstract OutboundFrame? EncodeBroadcast(string topic, UserBroadcast broadcast);

    protected abstract void WriteEnvelope(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event, PayloadWriter payload);

    protected static void WriteRef(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    /// <summary>A ref as the client sent it: a string, a number (kept as its text) or null.</summary>
    protected static string? ReadRef(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetRawText(),
        _ => null,
    };

    /// <summary>
    /// Parses one whole JSON value: anything after it but whitespace (a second value, garbage) refuses the frame,
    /// as Phoenix's <c>Jason.decode!</c> does, so nothing of a malformed frame is ever acted on or relayed.
    /// </summary>
    protected static bool TryParse(ReadOnlySpan<byte> utf8, out JsonElement root)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            root = JsonElement.ParseValue(ref reader);
            if (reader.Read())
            {
                root = default;
                return false;
            }
            return true;
        }
        catch (JsonException)
        {
            root = default;
            return false;
        }
    }

    protected static string Text(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? element.GetString() ?? "" : element.ValueKind == JsonValueKind.Number ? element.GetRawText() : "";
}
