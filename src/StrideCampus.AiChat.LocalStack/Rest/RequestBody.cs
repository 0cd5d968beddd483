using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>
/// A REST request body, refused with a 4xx rather than failing later with a 500: duplicate keys and lone UTF-16
/// surrogates are invalid JSON here (400 <c>PGRST102</c>, PostgREST's <c>InvalidBody</c> in
/// <c>src/library/PostgREST/Error.hs</c>), and a body over the server's limit is a 413.
/// </summary>
internal static class RequestBody
{
    public static readonly JsonDocumentOptions JsonOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    public static async Task<string> ReadTextAsync(HttpContext http, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The error for a body the server refused while reading it (too large, or cut short).</summary>
    public static PostgrestError Refused(BadHttpRequestException e) => e.StatusCode == StatusCodes.Status413RequestEntityTooLarge
        ? new PostgrestError(413, "PGRST102", "Request body too large", e.Message, null)
        : new PostgrestError(400, "PGRST102", "Empty or invalid json", e.Message, null);

    /// <summary>Throws <see cref="JsonException"/> when a string or key holds a lone surrogate (it cannot be encoded as UTF-8).</summary>
    public static void RefuseLoneSurrogates(JsonNode? node)
    {
        try
        {
            Walk(node);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json will not decode an escaped lone surrogate into a string.
            throw new JsonException("a string holds a lone UTF-16 surrogate", e);
        }
    }

    private static void Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Check(key);
                    Walk(value);
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Walk(item);
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                Check(value.GetValue<string>());
                break;
        }
    }

    private static void Check(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                throw new JsonException($"lone surrogate \\u{(int)text[i]:x4} at character {i} of a string");
            }
        }
    }
}
