using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Reads a message row in its usual shape from a row image's located columns (the realtime hot path: one row per
/// change, read where it lies in the frame, without the serializer's boxed constructor arguments). Anything
/// unusual (a repeated or escaped column name, a null in a value column, a status given as a number or in other
/// casing, a non-object metadata) returns <see langword="false"/>, and the caller uses the source-generated
/// serializer, which stays the reference.
/// </summary>
internal static class ChatMessageReader
{
    private const int IdBit = 1, SessionBit = 2, UserBit = 4, ContentBit = 8, IsUserBit = 16, StatusBit = 32, CreatedBit = 64, UpdatedBit = 128, MetadataBit = 256;

    // The usual empty metadata: every message parses its own object from it, on first use.
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    /// <summary>Reads a row given as standalone JSON (tests and callers without a frame).</summary>
    public static bool TryRead(ReadOnlyMemory<byte> utf8, out ChatMessage? message)
    {
        var row = new RowColumns();
        try
        {
            PostgresChangeParser.ReadRowImage(utf8, row);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            message = null;
            return false;
        }

        return TryRead(row, out message);
    }

    public static bool TryRead(RowColumns row, out ChatMessage? message)
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

            var bit = Bit(row.RawName(column));
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
                IdBit => row.TryGetGuid(column, out id),
                SessionBit => row.TryGetGuid(column, out sessionId),
                UserBit => row.TryGetGuid(column, out userId),
                ContentBit => TryContent(row, column, out content),
                IsUserBit => TryBool(column, out isUser),
                StatusBit => TryStatus(row, column, out status),
                CreatedBit => row.TryGetDateTimeOffset(column, out createdAt),
                UpdatedBit => row.TryGetDateTimeOffset(column, out updatedAt),
                _ => TryMetadata(row, column, out metadata),
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

    private static bool TryContent(RowColumns row, in RowColumn column, out string? value)
    {
        value = row.GetString(column);
        return column.ValueType is JsonTokenType.String or JsonTokenType.Null;
    }

    private static bool TryBool(in RowColumn column, out bool value)
    {
        value = column.ValueType == JsonTokenType.True;
        return column.ValueType is JsonTokenType.True or JsonTokenType.False;
    }

    private static bool TryStatus(RowColumns row, in RowColumn column, out MessageStatus value)
    {
        value = default;
        return column.ValueType == JsonTokenType.String && !column.ValueIsEscaped &&
            MessageStatusNames.TryFromWire(row.RawValue(column), out value);
    }

    private static bool TryMetadata(RowColumns row, in RowColumn column, out byte[]? value)
    {
        value = null;
        if (column.ValueType == JsonTokenType.Null)
        {
            return true;
        }

        if (column.ValueType != JsonTokenType.StartObject)
        {
            return false;
        }

        // The object's bytes (the parser accepted them as JSON); the message parses them when they are first read.
        var json = row.RawValue(column);
        value = JsonScan.IsEmptyObject(json) ? EmptyObject : json.ToArray();
        return true;
    }
}
