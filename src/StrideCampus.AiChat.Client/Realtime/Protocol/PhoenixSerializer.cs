using System.Buffers;
using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// Phoenix serializers 1.0.0 (JSON objects) and 2.0.0 (JSON arrays plus Supabase's binary user-broadcast frames),
/// written on <see cref="Utf8JsonReader"/>/<see cref="Utf8JsonWriter"/> without reflection.
/// </summary>
internal sealed class PhoenixSerializer
{
    /// <summary>Binary frame kind of a user broadcast pushed by a client.</summary>
    public const byte UserBroadcastPushKind = 3;

    /// <summary>Binary frame kind of a user broadcast sent by the server.</summary>
    public const byte UserBroadcastKind = 4;

    private const byte RawEncoding = 0;
    private const byte JsonEncoding = 1;

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    private readonly Utf8StringCache _names = new(64);
    private readonly Utf8StringCache _joinRefs = new(8);

    public PhoenixSerializer(RealtimeSerializerVersion version) => Version = version;

    public RealtimeSerializerVersion Version { get; }

    public string VersionString => Version == RealtimeSerializerVersion.V1 ? "1.0.0" : "2.0.0";

    /// <summary>Encodes a text frame; <paramref name="writePayload"/> writes the payload value.</summary>
    public byte[] EncodeText<TState>(string? joinRef, string? @ref, string topic, string @event, TState state, Action<Utf8JsonWriter, TState> writePayload)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (Version == RealtimeSerializerVersion.V1)
            {
                writer.WriteStartObject();
                writer.WriteString("topic"u8, topic);
                writer.WriteString("event"u8, @event);
                writer.WritePropertyName("payload"u8);
                writePayload(writer, state);
                WriteNullable(writer, "ref"u8, @ref);
                WriteNullable(writer, "join_ref"u8, joinRef);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteStartArray();
                WriteNullable(writer, joinRef);
                WriteNullable(writer, @ref);
                writer.WriteStringValue(topic);
                writer.WriteStringValue(@event);
                writePayload(writer, state);
                writer.WriteEndArray();
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes a client user broadcast as a binary frame (kind 3) with a JSON or raw payload.</summary>
    public static byte[] EncodeUserBroadcastPush(string? joinRef, string? @ref, string topic, string userEvent, ReadOnlySpan<byte> payload, bool payloadIsJson, string? metadata = null)
    {
        var joinRefLength = CheckedLength(joinRef ?? "", "joinRef");
        var refLength = CheckedLength(@ref ?? "", "ref");
        var topicLength = CheckedLength(topic, "topic");
        var eventLength = CheckedLength(userEvent, "userEvent");
        var metadataLength = CheckedLength(metadata ?? "", "metadata");
        var headerLength = 7 + joinRefLength + refLength + topicLength + eventLength + metadataLength;
        var frame = new byte[headerLength + payload.Length];
        frame[0] = UserBroadcastPushKind;
        frame[1] = (byte)joinRefLength;
        frame[2] = (byte)refLength;
        frame[3] = (byte)topicLength;
        frame[4] = (byte)eventLength;
        frame[5] = (byte)metadataLength;
        frame[6] = payloadIsJson ? JsonEncoding : RawEncoding;
        var offset = 7;
        offset += Encoding.UTF8.GetBytes(joinRef ?? "", frame.AsSpan(offset));
        offset += Encoding.UTF8.GetBytes(@ref ?? "", frame.AsSpan(offset));
        offset += Encoding.UTF8.GetBytes(topic, frame.AsSpan(offset));
        offset += Encoding.UTF8.GetBytes(userEvent, frame.AsSpan(offset));
        offset += Encoding.UTF8.GetBytes(metadata ?? "", frame.AsSpan(offset));
        payload.CopyTo(frame.AsSpan(offset));
        return frame;
    }

    /// <summary>Decodes a text frame. Throws <see cref="JsonException"/> or <see cref="FormatException"/> when malformed.</summary>
    public IncomingFrame DecodeText(ReadOnlyMemory<byte> frame)
    {
        var reader = new Utf8JsonReader(frame.Span, ReaderOptions);
        if (!reader.Read())
        {
            throw new FormatException("empty frame");
        }

        return reader.TokenType switch
        {
            JsonTokenType.StartArray => DecodeArray(ref reader, frame),
            JsonTokenType.StartObject => DecodeObject(ref reader, frame),
            _ => throw new FormatException("a frame must be a JSON array or object"),
        };
    }

    /// <summary>Decodes a binary frame (only the user broadcast, kind 4, is sent by Supabase).</summary>
    public IncomingFrame DecodeBinary(ReadOnlyMemory<byte> frame)
    {
        var span = frame.Span;
        if (span.Length < 5)
        {
            throw new FormatException("binary frame shorter than its header");
        }

        if (span[0] != UserBroadcastKind)
        {
            throw new NotSupportedException($"binary frame kind {span[0]}");
        }

        int topicLength = span[1], eventLength = span[2], metaLength = span[3];
        var encoding = span[4];
        var offset = 5;
        if (span.Length < offset + topicLength + eventLength + metaLength)
        {
            throw new FormatException("binary frame shorter than its header announces");
        }

        var topic = _names.Get(span.Slice(offset, topicLength));
        offset += topicLength;
        var userEvent = _names.Get(span.Slice(offset, eventLength));
        offset += eventLength;
        var meta = frame.Slice(offset, metaLength);
        offset += metaLength;
        return new IncomingFrame(null, null, topic, PhoenixEvents.Broadcast, frame[offset..])
        {
            BroadcastEvent = userEvent,
            BroadcastMeta = meta,
            BroadcastPayloadIsJson = encoding == JsonEncoding,
        };
    }

    private IncomingFrame DecodeArray(ref Utf8JsonReader reader, ReadOnlyMemory<byte> frame)
    {
        var joinRef = ReadRef(ref reader, _joinRefs);
        var @ref = ReadRef(ref reader, null);
        var topic = ReadName(ref reader, "topic");
        var @event = ReadName(ref reader, "event");
        Next(ref reader);
        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject)
        {
            throw new FormatException("a 2.0.0 frame has five elements");
        }

        if (@event == PhoenixEvents.PostgresChanges)
        {
            // The hot path: its parser reads the whole payload anyway and rejects anything after its value, so
            // the payload is not tokenized twice. It runs to the frame's closing bracket.
            var span = frame.Span;
            var close = span.Length;
            while (close > start && span[close - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                close--;
            }

            if (close - 1 <= start || span[close - 1] != (byte)']')
            {
                throw new FormatException("a 2.0.0 frame must end with ]");
            }

            return new IncomingFrame(joinRef, @ref, topic, @event, frame[start..(close - 1)]);
        }

        reader.Skip();
        var end = (int)reader.BytesConsumed;
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new FormatException("a 2.0.0 frame has five elements");
        }

        return new IncomingFrame(joinRef, @ref, topic, @event, frame[start..end]);
    }

    private IncomingFrame DecodeObject(ref Utf8JsonReader reader, ReadOnlyMemory<byte> frame)
    {
        string? joinRef = null, @ref = null, topic = null, @event = null;
        ReadOnlyMemory<byte> payload = default;
        var hasPayload = false;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            if (reader.ValueTextEquals("topic"u8))
            {
                topic = ReadName(ref reader, "topic");
            }
            else if (reader.ValueTextEquals("event"u8))
            {
                @event = ReadName(ref reader, "event");
            }
            else if (reader.ValueTextEquals("ref"u8))
            {
                @ref = ReadRef(ref reader, null);
            }
            else if (reader.ValueTextEquals("join_ref"u8))
            {
                joinRef = ReadRef(ref reader, _joinRefs);
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                Next(ref reader);
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                payload = frame[start..(int)reader.BytesConsumed];
                hasPayload = true;
            }
            else
            {
                Next(ref reader);
                reader.Skip();
            }
        }

        if (topic is null || @event is null || !hasPayload)
        {
            throw new FormatException("a 1.0.0 frame needs topic, event and payload");
        }

        return new IncomingFrame(joinRef, @ref, topic, @event, payload);
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new FormatException("truncated frame");
        }
    }

    private string ReadName(ref Utf8JsonReader reader, string what)
    {
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new FormatException($"{what} must be a string");
        }

        return _names.Get(ref reader);
    }

    private static string? ReadRef(ref Utf8JsonReader reader, Utf8StringCache? cache)
    {
        Next(ref reader);
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => cache is null ? reader.GetString() : cache.Get(ref reader),
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
            _ => throw new FormatException("a ref must be a string or null"),
        };
    }

    private static void WriteNullable(Utf8JsonWriter writer, string? value)
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

    private static void WriteNullable(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static int CheckedLength(string value, string what)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > 255)
        {
            throw new ArgumentException($"{what} length {length} exceeds maximum of 255", what);
        }

        return length;
    }
}
