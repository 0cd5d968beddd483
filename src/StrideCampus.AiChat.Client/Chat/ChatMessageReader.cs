using System.Text.Json;
using System.Text.Json.Nodes;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Reads a message row in its usual shape straight from UTF-8, without the serializer's boxed constructor
/// arguments (the realtime hot path: one row per change). Anything unusual (a repeated or escaped column name,
/// a null in a value column, a status given as a number or in other casing, a non-object metadata) returns
/// <see langword="false"/>, and the caller uses the source-generated serializer, which stays the reference.
/// </summary>
internal static class ChatMessageReader
{
    private const int IdBit = 1, SessionBit = 2, UserBit = 4, ContentBit = 8, IsUserBit = 16, StatusBit = 32, CreatedBit = 64, UpdatedBit = 128, MetadataBit = 256;

    public static bool TryRead(ReadOnlySpan<byte> utf8, out ChatMessage? message)
    {
        message = null;
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        Guid id = default, sessionId = default, userId = default;
        string? content = null;
        var isUser = false;
        MessageStatus status = default;
        DateTimeOffset createdAt = default, updatedAt = default;
        JsonObject? metadata = null;
        var seen = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                message = new ChatMessage(id, sessionId, userId, content!, isUser, status, createdAt, updatedAt, metadata);
                return true;
            }

            if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped)
            {
                return false;
            }

            var bit = reader.ValueTextEquals("id"u8) ? IdBit
                : reader.ValueTextEquals("session_id"u8) ? SessionBit
                : reader.ValueTextEquals("user_id"u8) ? UserBit
                : reader.ValueTextEquals("content"u8) ? ContentBit
                : reader.ValueTextEquals("is_user"u8) ? IsUserBit
                : reader.ValueTextEquals("status"u8) ? StatusBit
                : reader.ValueTextEquals("created_at"u8) ? CreatedBit
                : reader.ValueTextEquals("updated_at"u8) ? UpdatedBit
                : reader.ValueTextEquals("metadata"u8) ? MetadataBit
                : 0;
            if (bit == 0)
            {
                reader.Skip(); // a column the model does not have
                continue;
            }

            if ((seen & bit) != 0 || !reader.Read())
            {
                return false;
            }

            seen |= bit;
            var ok = bit switch
            {
                IdBit => TryGuid(ref reader, out id),
                SessionBit => TryGuid(ref reader, out sessionId),
                UserBit => TryGuid(ref reader, out userId),
                ContentBit => TryContent(ref reader, out content),
                IsUserBit => TryBool(ref reader, out isUser),
                StatusBit => TryStatus(ref reader, out status),
                CreatedBit => TryTime(ref reader, out createdAt),
                UpdatedBit => TryTime(ref reader, out updatedAt),
                _ => TryMetadata(ref reader, out metadata),
            };
            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private static bool TryGuid(ref Utf8JsonReader reader, out Guid value)
    {
        value = default;
        return reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out value);
    }

    private static bool TryContent(ref Utf8JsonReader reader, out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return reader.TokenType is JsonTokenType.String or JsonTokenType.Null;
    }

    private static bool TryBool(ref Utf8JsonReader reader, out bool value)
    {
        value = reader.TokenType == JsonTokenType.True;
        return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
    }

    private static bool TryStatus(ref Utf8JsonReader reader, out MessageStatus value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
        {
            return false;
        }

        if (reader.ValueTextEquals("complete"u8))
        {
            value = MessageStatus.Complete;
        }
        else if (reader.ValueTextEquals("streaming"u8))
        {
            value = MessageStatus.Streaming;
        }
        else if (reader.ValueTextEquals("pending"u8))
        {
            value = MessageStatus.Pending;
        }
        else if (reader.ValueTextEquals("error"u8))
        {
            value = MessageStatus.Error;
        }
        else
        {
            return false;
        }

        return true;
    }

    private static bool TryTime(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        value = default;
        return reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out value);
    }

    private static bool TryMetadata(ref Utf8JsonReader reader, out JsonObject? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var peek = reader;
        if (peek.Read() && peek.TokenType == JsonTokenType.EndObject)
        {
            reader.Skip();
            value = []; // the usual empty metadata, without a document behind it
            return true;
        }

        value = JsonNode.Parse(ref reader) as JsonObject;
        return value is not null;
    }
}
