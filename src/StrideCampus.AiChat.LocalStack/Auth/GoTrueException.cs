using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace StrideCampus.AiChat.LocalStack.Auth;

/// <summary>An error GoTrue reports to the client: HTTP status, error code and message.</summary>
internal sealed class GoTrueException : Exception
{
    public GoTrueException(int status, string errorCode, string message, IReadOnlyList<string>? weakPasswordReasons = null)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
        WeakPasswordReasons = weakPasswordReasons;
    }

    public GoTrueException()
        : this(StatusCodes.Status500InternalServerError, "unexpected_failure", "Unexpected failure")
    {
    }

    public GoTrueException(string message)
        : this(StatusCodes.Status500InternalServerError, "unexpected_failure", message)
    {
    }

    public GoTrueException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status500InternalServerError;
        ErrorCode = "unexpected_failure";
    }

    public int Status { get; }

    public string ErrorCode { get; }

    public IReadOnlyList<string>? WeakPasswordReasons { get; }

    /// <summary>
    /// GoTrue's error body: <c>{"code":"...","message":"..."}</c> for clients that send
    /// <c>X-Supabase-Api-Version: 2024-01-01</c> or later (supabase-js does), otherwise the legacy
    /// <c>{"code":400,"error_code":"...","msg":"..."}</c>.
    /// </summary>
    public IResult ToResult(HttpContext http)
    {
        var version = http.Request.Headers["X-Supabase-Api-Version"].ToString();
        var modern = version.Length == 10 && string.CompareOrdinal(version, "2024-01-01") >= 0;
        http.Response.Headers["x-sb-error-code"] = ErrorCode;
        JsonObject body;
        if (modern)
        {
            http.Response.Headers["X-Supabase-Api-Version"] = "2024-01-01";
            body = new JsonObject { ["code"] = ErrorCode, ["message"] = Message };
        }
        else
        {
            body = new JsonObject { ["code"] = Status, ["error_code"] = ErrorCode, ["msg"] = Message };
        }
        if (WeakPasswordReasons is { } reasons)
        {
            body["weak_password"] = new JsonObject { ["reasons"] = new JsonArray([.. reasons.Select(r => (JsonNode?)JsonValue.Create(r))]) };
        }
        return Results.Content(body.ToJsonString(Hosting.JsonOutput.Options), "application/json", statusCode: Status);
    }

    public static GoTrueException BadRequest(string code, string message) => new(StatusCodes.Status400BadRequest, code, message);

    public static GoTrueException Unprocessable(string code, string message) => new(StatusCodes.Status422UnprocessableEntity, code, message);

    public static GoTrueException Forbidden(string code, string message) => new(StatusCodes.Status403Forbidden, code, message);

    public static GoTrueException Unauthorized(string code, string message) => new(StatusCodes.Status401Unauthorized, code, message);

    public static GoTrueException NotFound(string code, string message) => new(StatusCodes.Status404NotFound, code, message);
}
