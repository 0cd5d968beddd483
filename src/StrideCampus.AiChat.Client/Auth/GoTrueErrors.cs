using System.Net;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>Maps GoTrue's error JSON, in both of its formats, to <see cref="AuthException"/>.</summary>
internal static class GoTrueErrors
{
    private const int MaxBodyInMessage = 200;

    /// <summary>
    /// Builds the exception for an error response. Current GoTrue answers
    /// <c>{"code":400,"error_code":"invalid_credentials","msg":"..."}</c>; older versions
    /// <c>{"error":"invalid_grant","error_description":"..."}</c>; some proxies plain text.
    /// </summary>
    public static AuthException FromResponse(HttpStatusCode status, string? body)
    {
        var statusCode = (int)status;
        string? code = null;
        string? message = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    var root = document.RootElement;
                    code = ReadString(root, "error_code") ?? ReadString(root, "code") ?? ReadString(root, "error");
                    message = ReadString(root, "msg") ?? ReadString(root, "message") ?? ReadString(root, "error_description")
                        ?? ReadString(root, "error");
                }
            }
            catch (JsonException)
            {
                // Not JSON: fall through to the text fallback.
            }

            message ??= $"GoTrue returned HTTP {statusCode}: {Truncate(body.Trim())}";
        }

        message ??= $"GoTrue returned HTTP {statusCode} without a body.";
        return new AuthException(statusCode, code, message);
    }

    /// <summary>Whether a failed call may succeed when repeated (no response, a timeout, or a server-side failure).</summary>
    public static bool IsTransient(AuthException exception) =>
        exception.Status == 0 || exception.Status == 408 || exception.Status == 429 || exception.Status >= 500;

    private static string? ReadString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Truncate(string text) =>
        text.Length <= MaxBodyInMessage ? text : string.Concat(text.AsSpan(0, MaxBodyInMessage), "…");
}
