using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>
/// An error in PostgREST's shape, <c>{code, details, hint, message}</c>, with the HTTP status
/// PostgREST gives it.
/// </summary>
internal sealed class PostgrestError : Exception
{
    public PostgrestError(int status, string code, string message, string? details = null, string? hint = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Details = details;
        Hint = hint;
    }

    public PostgrestError()
        : this(500, "PGRSTX00", "Internal error")
    {
    }

    public PostgrestError(string message)
        : this(500, "PGRSTX00", message)
    {
    }

    public PostgrestError(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
        Code = "PGRSTX00";
    }

    public int Status { get; }

    public string Code { get; }

    public string? Details { get; }

    public string? Hint { get; }

    public string ToJson() => new JsonObject
    {
        ["code"] = Code,
        ["details"] = Details,
        ["hint"] = Hint,
        ["message"] = Message,
    }.ToJsonString(Hosting.JsonOutput.Options);

    public IResult ToResult(HttpContext http)
    {
        if (Status == StatusCodes.Status401Unauthorized)
        {
            http.Response.Headers.WWWAuthenticate = Code is "PGRST301" or "PGRST303"
                ? $"Bearer error=\"invalid_token\", error_description=\"{Message}\""
                : "Bearer";
        }
        return Results.Content(ToJson(), "application/json; charset=utf-8", statusCode: Status);
    }

    /// <summary>PGRST100: a query string parameter that does not parse.</summary>
    public static PostgrestError Parse(string message, string details) =>
        new(400, "PGRST100", message, details);

    /// <summary>
    /// A database error mapped with PostgREST's table of SQLSTATEs to statuses; 42501 is 401 for
    /// the anonymous role and 403 for any other.
    /// </summary>
    public static PostgrestError FromPostgres(PostgresException e, bool anonymous) =>
        new(StatusFor(e.SqlState, anonymous), e.SqlState, e.MessageText, e.Detail, e.Hint);

    internal static int StatusFor(string sqlState, bool anonymous)
    {
        switch (sqlState)
        {
            case "23503":
            case "23505":
                return 409;
            case "25006":
                return 405;
            case "P0001":
                return 400;
            case "42883":
            case "42P01":
                return 404;
            case "42P17":
                return 500;
            case "42501":
                return anonymous ? 401 : 403;
        }
        return sqlState.Length < 2 ? 500 : sqlState[..2] switch
        {
            "08" => 503,
            "09" => 500,
            "0L" or "0P" => 403,
            "25" => 500,
            "28" => 403,
            "2D" or "38" or "39" or "3B" or "40" => 500,
            "53" => 503,
            "54" => 413,
            "55" or "57" or "58" or "F0" or "HV" or "P0" or "XX" => 500,
            _ => 400,
        };
    }
}
