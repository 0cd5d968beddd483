using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Rows;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Reads a message row in its usual shape from a row image's located columns (the realtime hot path: one row per
/// change, read where it lies in the frame, without the serializer's boxed constructor arguments). Anything
/// unusual (a repeated or escaped column name, a null in a value column, a status given as a number or in other
/// casing, a non-object metadata) returns <see langword="false"/>, and the caller uses the source-generated
/// serializer, which stays the reference.
/// </summary>
internal sealed class ChatMessageReader : IRowDecoder<ChatMessage>
{
    private const int IdBit = 1, SessionBit = 2, UserBit = 4, ContentBit = 8, IsUserBit = 16, StatusBit = 32, CreatedBit = 64, UpdatedBit = 128, MetadataBit = 256;

    // The usual empty metadata: every message parses its own object from it, on first use.
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private ChatMessageReader()
    {
    }

    /// <summary>The reader (it holds no state).</summary>
    public static ChatMessageReader Instance { get; } = new();

    /// <summary>Reads a row given as standalone JSON (tests and callers without a frame).</summary>
    public static bool TryRead(ReadOnlyMemory<byte> utf8, out ChatMessage? message)
    {
        RowReader row;
        try
        {
            row = RowReader.Parse(utf8);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            message = null;
            return false;
        }

        return TryRead(row, out message);
    }

    /// <inheritdoc/>
    public bool TryDecode(RowReader row, out ChatMessage? value) => TryRead(row, out value);

    private static bool TryRead(RowReader row, out ChatMessage? message)
    {
        message = null;
        if (!row.IsObject)
        {
            return false;
        }

        Guid id = default, sessionId = default, userId = default;
        string? content = null;
        var isUser = false;
        MessageStatus status = default;
        DateTimeOffset createdAt = default, updatedAt = default;
        byte[]? metadata = null;
        var seen = 0;
        for (var i = 0; i < row.Count; i++)
        {
            var column = row[i];
            if (column.NameIsEscaped)
            {
                return false;
            }

            var bit = Bit(column.RawName);
            if (bit == 0)
            {
                continue; // a column the model does not have
            }

            if ((seen & bit) != 0)
            {
                return false;
            }

            seen |= bit;
            var ok = bit switch
            {
                IdBit => column.TryGetGuid(out id),
                SessionBit => column.TryGetGuid(out sessionId),
                UserBit => column.TryGetGuid(out userId),
                ContentBit => TryContent(column, out content),
                IsUserBit => TryBool(column, out isUser),
                StatusBit => TryStatus(column, out status),
                CreatedBit => column.TryGetDateTimeOffset(out createdAt),
                UpdatedBit => column.TryGetDateTimeOffset(out updatedAt),
                _ => TryMetadata(column, out metadata),
            };
            if (!ok)
            {
                return false;
            }
        }

        message = metadata is null
            ? new ChatMessage(id, sessionId, userId, content!, isUser, status, createdAt, updatedAt, null)
            : ChatMessage.WithMetadataJson(id, sessionId, userId, content!, isUser, status, createdAt, updatedAt, metadata);
        return true;
    }

    private static int Bit(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when name.SequenceEqual("id"u8) => IdBit,
        6 when name.SequenceEqual("status"u8) => StatusBit,
        7 when name.SequenceEqual("content"u8) => ContentBit,
        7 when name.SequenceEqual("user_id"u8) => UserBit,
        7 when name.SequenceEqual("is_user"u8) => IsUserBit,
        8 when name.SequenceEqual("metadata"u8) => MetadataBit,
        10 when name.SequenceEqual("session_id"u8) => SessionBit,
        10 when name.SequenceEqual("created_at"u8) => CreatedBit,
        10 when name.SequenceEqual("updated_at"u8) => UpdatedBit,
        _ => 0,
    };

    private static bool TryContent(RowField column, out string? value)
    {
        value = column.GetString();
        return column.ValueKind is JsonTokenType.String or JsonTokenType.Null;
    }

    private static bool TryBool(RowField column, out bool value)
    {
        value = column.ValueKind == JsonTokenType.True;
        return column.ValueKind is JsonTokenType.True or JsonTokenType.False;
    }

    private static bool TryStatus(RowField column, out MessageStatus value)
    {
        value = default;
        return column.ValueKind == JsonTokenType.String && !column.ValueIsEscaped &&
            MessageStatusNames.TryFromWire(column.RawValue, out value);
    }

    private static bool TryMetadata(RowField column, out byte[]? value)
    {
        value = null;
        if (column.ValueKind == JsonTokenType.Null)
        {
            return true;
        }

        if (column.ValueKind != JsonTokenType.StartObject)
        {
            return false;
        }

        // The object's bytes (the parser accepted them as JSON); the message parses them when they are first read.
        value = column.IsEmptyObject ? EmptyObject : column.RawValue.ToArray();
        return true;
    }
}
