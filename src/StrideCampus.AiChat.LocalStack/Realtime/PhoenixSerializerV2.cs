using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Serializer 2.0.0: text frames are JSON arrays <c>[join_ref, ref, topic, event, payload]</c>;
/// binary frames carry user broadcasts. Client push (kind 3): kind, then one length byte each for
/// join_ref, ref, topic, event and metadata, one payload-encoding byte (0 binary, 1 JSON), the
/// strings, then the payload. Server broadcast (kind 4): kind, lengths of topic, event and metadata,
/// the encoding byte, the strings, then the payload.
/// </summary>
internal sealed class PhoenixSerializerV2 : PhoenixSerializer
{
    public const byte UserBroadcastPush = 3;
    public const byte UserBroadcastKind = 4;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public override string Version => "2.0.0";

    public override PhoenixMessage? DecodeText(ReadOnlySpan<byte> utf8)
    {
        // Exactly five elements, as Phoenix's V2 serializer matches them; a longer array is malformed, not truncated.
        if (!TryParse(utf8, out var root) || root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 5)
        {
            return null;
        }
        var topic = root[2];
        var ev = root[3];
        if (topic.ValueKind != JsonValueKind.String || ev.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        return new PhoenixMessage(ReadRef(root[0]), ReadRef(root[1]), topic.GetString()!, ev.GetString()!, root[4]);
    }

    public override PhoenixMessage? DecodeBinary(ReadOnlySpan<byte> data)
    {
        const int header = 7;
        if (data.Length < header || data[0] != UserBroadcastPush)
        {
            return null;
        }
        int joinRefLength = data[1], refLength = data[2], topicLength = data[3], eventLength = data[4], metaLength = data[5];
        var isJson = data[6] == 1;
        var offset = header;
        if (data.Length < offset + joinRefLength + refLength + topicLength + eventLength + metaLength)
        {
            return null;
        }
        string joinRef, @ref, topic, userEvent;
        try
        {
            joinRef = StrictUtf8.GetString(data.Slice(offset, joinRefLength));
            offset += joinRefLength;
            @ref = StrictUtf8.GetString(data.Slice(offset, refLength));
            offset += refLength;
            topic = StrictUtf8.GetString(data.Slice(offset, topicLength));
            offset += topicLength;
            userEvent = StrictUtf8.GetString(data.Slice(offset, eventLength));
            offset += eventLength + metaLength; // metadata is not used by the server
        }
        catch (DecoderFallbackException)
        {
            return null; // not UTF-8: refused, never relayed with replacement characters
        }
        var payload = data[offset..].ToArray();
        if (isJson && !TryParse(payload, out _))
        {
            return null;
        }
        return new PhoenixMessage(joinRef.Length == 0 ? null : joinRef, @ref.Length == 0 ? null : @ref, topic, "broadcast", default)
        {
            Broadcast = new UserBroadcast(userEvent, isJson, payload),
        };
    }

    public override OutboundFrame? EncodeBroadcast(string topic, UserBroadcast broadcast)
    {
        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var eventBytes = Encoding.UTF8.GetBytes(broadcast.Event);
        if (topicBytes.Length > 255 || eventBytes.Length > 255)
        {
            return null;
        }
        var frame = new byte[5 + topicBytes.Length + eventBytes.Length + broadcast.Payload.Length];
        frame[0] = UserBroadcastKind;
        frame[1] = (byte)topicBytes.Length;
        frame[2] = (byte)eventBytes.Length;
        frame[3] = 0;
        frame[4] = broadcast.IsJson ? (byte)1 : (byte)0;
        topicBytes.CopyTo(frame, 5);
        eventBytes.CopyTo(frame, 5 + topicBytes.Length);
        broadcast.Payload.Span.CopyTo(frame.AsSpan(5 + topicBytes.Length + eventBytes.Length));
        return new OutboundFrame(frame, WebSocketMessageType.Binary);
    }

    protected override void WriteEnvelope(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event, PayloadWriter payload)
    {
        writer.WriteStartArray();
        WriteRef(writer, joinRef);
        WriteRef(writer, @ref);
        writer.WriteStringValue(topic);
        writer.WriteStringValue(@event);
        payload(writer);
        writer.WriteEndArray();
    }
}
