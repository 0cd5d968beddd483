using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace StrideCampus.AiChat.LocalStack.Auth;

/// <summary>
/// Reads a GoTrue request body the way GoTrue bounds and decodes it, so bad input is a 4xx and never a 500:
/// at most 1 MiB (supabase/auth <c>internal/api/api.go</c>, <c>limitRequestBody(1 &lt;&lt; 20)</c>, answered with 413
/// <c>request_entity_too_large</c> by <c>internal/api/helpers.go</c>); an escaped lone UTF-16 surrogate becomes U+FFFD, as Go's
/// encoding/json decodes it; duplicate keys and NUL characters (which PostgreSQL text cannot hold) are refused with 400.
/// </summary>
internal static class AuthInput
{
    internal const int MaxBodyBytes = 1 << 20;

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>Caps the request body before anything reads it.</summary>
    public static void LimitBody(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }
    }

    public static GoTrueException TooLarge() =>
        new(StatusCodes.Status413RequestEntityTooLarge, "request_entity_too_large", $"Request body too large (max {MaxBodyBytes} bytes)");

    public static async Task<JsonObject?> ReadObjectAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            throw TooLarge();
        }
        string text;
        try
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8, leaveOpen: true);
            text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413RequestEntityTooLarge)
        {
            throw TooLarge();
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(ReplaceLoneSurrogateEscapes(text), documentOptions: Strict);
        }
        catch (JsonException e)
        {
            throw GoTrueException.BadRequest("bad_json", "Could not parse request body as JSON: " + e.Message);
        }
        if (node is not JsonObject body)
        {
            throw GoTrueException.BadRequest("bad_json", "Could not parse request body as JSON: expected an object");
        }
        RefuseNul(body);
        return body;
    }

    /// <summary>
    /// Rewrites each <c>\uD8xx</c>-style escape that is not half of a surrogate pair as <c>\uFFFD</c>, as Go's
    /// encoding/json decodes it (System.Text.Json refuses to materialise such a string).
    /// </summary>
    internal static string ReplaceLoneSurrogateEscapes(string json)
    {
        if (!json.Contains("\\u", StringComparison.OrdinalIgnoreCase))
        {
            return json;
        }
        var text = new StringBuilder(json.Length);
        for (var i = 0; i < json.Length; i++)
        {
            if (json[i] != '\\' || i + 1 >= json.Length)
            {
                text.Append(json[i]);
                continue;
            }
            if (json[i + 1] != 'u' || Escape(json, i) is not { } code)
            {
                text.Append(json, i, 2); // \\, \", \n ... copied whole, so an escaped backslash is never read as an escape.
                i++;
                continue;
            }
            if (char.IsHighSurrogate(code) && Escape(json, i + 6) is { } low && char.IsLowSurrogate(low))
            {
                text.Append(json, i, 12);
                i += 11;
            }
            else
            {
                text.Append(char.IsSurrogate(code) ? "\\ufffd" : json.Substring(i, 6));
                i += 5;
            }
        }
        return text.ToString();
    }

    private static char? Escape(string json, int at) =>
        at + 6 <= json.Length && json[at] == '\\' && json[at + 1] == 'u'
        && int.TryParse(json.AsSpan(at + 2, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? (char)code
            : null;

    private static void RefuseNul(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Text(key);
                    RefuseNul(value);
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RefuseNul(item);
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                Text(value.GetValue<string>());
                break;
        }
    }

    private static void Text(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw GoTrueException.BadRequest("validation_failed", "Request contains a NUL character (\\u0000), which is not allowed");
        }
    }
}
