using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Rest;

/// <summary>Maps PostgREST error responses to <see cref="PostgrestException"/>.</summary>
internal static class PostgrestErrors
{
    private const int MaxBodyInMessage = 200;

    /// <summary>Parses <c>{code, message, details, hint}</c>; a body that is not such JSON (a proxy's HTML page) still gives a useful message.</summary>
    public static PostgrestException FromResponse(int status, string? reasonPhrase, ReadOnlySpan<byte> body)
    {
        if (!body.IsEmpty)
        {
            try
            {
                using var document = JsonDocument.Parse(body.ToArray());
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && (root.TryGetProperty("message", out _) || root.TryGetProperty("code", out _)))
                {
                    return new PostgrestException(
                        status,
                        ReadText(root, "code"),
                        ReadText(root, "message") ?? $"PostgREST returned HTTP {status}.",
                        ReadText(root, "details"),
                        ReadText(root, "hint"));
                }
            }
            catch (JsonException)
            {
                // Not JSON: fall back to the text below.
            }

            var text = Encoding.UTF8.GetString(body).Trim();
            if (text.Length > MaxBodyInMessage)
            {
                text = string.Concat(text.AsSpan(0, MaxBodyInMessage), "…");
            }

            return new PostgrestException(status, null, $"HTTP {status} {reasonPhrase}: {text}".Trim());
        }

        return new PostgrestException(status, null, $"HTTP {status} {reasonPhrase}".Trim());
    }

    /// <summary>
    /// Whether PostgREST refused the JWT in a way a fresh token can cure: expired (PGRST301 before v12,
    /// PGRST303 since). PGRST303 also reports "JWT issued at future" (server clock behind the issuer's),
    /// which a new token would repeat, so that one is excluded.
    /// </summary>
    public static bool IsExpiredJwt(PostgrestException exception)
    {
        if (exception.Status != 401 || exception.Message.Contains("future", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return exception.ErrorCode is "PGRST301" or "PGRST303"
            || (exception.Message.Contains("JWT", StringComparison.OrdinalIgnoreCase)
                && exception.Message.Contains("expired", StringComparison.OrdinalIgnoreCase));
    }

    private static string? ReadText(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => value.GetRawText(),
        };
    }
}
