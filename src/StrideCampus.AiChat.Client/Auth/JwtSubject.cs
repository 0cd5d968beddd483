using System.Text.Json;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>Reads the <c>sub</c> claim of a JWT without validating it (the server validates; the client only needs the user id).</summary>
internal static class JwtSubject
{
    public static Guid? TryRead(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }
        byte[] payload;
        try
        {
            payload = DecodeBase64Url(parts[1]);
        }
        catch (FormatException)
        {
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSub = reader.ValueTextEquals("sub"u8);
                reader.Read();
                if (isSub)
                {
                    return reader.TokenType == JsonTokenType.String && Guid.TryParse(reader.GetString(), out var id) ? id : null;
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    // Base64Url is .NET 9+; the SDK also targets net8.0.
    private static byte[] DecodeBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s = (s.Length % 4) switch
        {
            2 => s + "==",
            3 => s + "=",
            _ => s,
        };
        return Convert.FromBase64String(s);
    }
}
