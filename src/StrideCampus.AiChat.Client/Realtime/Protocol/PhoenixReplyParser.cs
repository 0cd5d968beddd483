using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>Reads a <c>phx_reply</c> payload: <c>{"status": ..., "response": ...}</c>, other members skipped.</summary>
internal static class PhoenixReplyParser
{
    /// <summary>The status (<c>"error"</c> when missing) and the response (default when missing).</summary>
    /// <exception cref="FormatException">The payload is not an object.</exception>
    public static (string Status, JsonElement Response) Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("phx_reply payload must be an object");
        }

        string? status = null;
        JsonElement response = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("response"u8))
            {
                reader.Read();
                response = JsonElement.ParseValue(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (status ?? "error", response);
    }
}
