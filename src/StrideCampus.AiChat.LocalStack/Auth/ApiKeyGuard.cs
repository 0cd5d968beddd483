using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Auth;

/// <summary>
/// The API gateway's key check (Kong in Supabase): every request to /auth/v1 and /rest/v1 carries
/// an <c>apikey</c> header (or query parameter) that is a valid JWT of this stack.
/// </summary>
internal static class ApiKeyGuard
{
    private const string ValidationItem = "localstack.apikey";

    /// <summary>
    /// Answers CORS preflight requests under <paramref name="prefix"/> as Supabase's gateway does,
    /// without an API key, so browser apps can call the stack.
    /// </summary>
    public static void MapCorsPreflight(this IEndpointRouteBuilder app, string prefix) =>
        app.MapMethods(prefix + "/{**path}", ["OPTIONS"], (HttpContext http) =>
        {
            AddCorsHeaders(http);
            var requested = http.Request.Headers.AccessControlRequestHeaders.ToString();
            http.Response.Headers.AccessControlAllowHeaders = requested.Length > 0 ? requested : "authorization, x-client-info, apikey, content-type, prefer, range, accept-profile, content-profile, x-supabase-api-version";
            http.Response.Headers.AccessControlAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
            http.Response.Headers.AccessControlMaxAge = "3600";
            return Results.Ok();
        });

    private static void AddCorsHeaders(HttpContext http)
    {
        if (http.Request.Headers.Origin.Count > 0)
        {
            http.Response.Headers.AccessControlAllowOrigin = "*";
            http.Response.Headers.AccessControlExposeHeaders = "Content-Range, Content-Profile, Preference-Applied, X-Total-Count, Link, X-Supabase-Api-Version, x-sb-error-code";
        }
    }

    /// <summary>Adds the key check to every endpoint of the group.</summary>
    public static RouteGroupBuilder RequireApiKey(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            AddCorsHeaders(http);
            var key = http.Request.Headers["apikey"].ToString();
            if (string.IsNullOrEmpty(key))
            {
                key = http.Request.Query["apikey"].ToString();
            }
            if (string.IsNullOrEmpty(key))
            {
                return Reject("No API key found in request", "No `apikey` request header or url param was found.");
            }
            var context = http.RequestServices.GetRequiredService<LocalStackContext>();
            var validation = await context.Jwt.ValidateAsync(key).ConfigureAwait(false);
            if (!validation.IsValid || validation.Role is not ("anon" or "service_role"))
            {
                return Reject("Invalid API key", "Double check your Supabase `anon` or `service_role` API key.");
            }
            http.Items[ValidationItem] = validation;
            return await next(invocation).ConfigureAwait(false);
        });
        return group;
    }

    /// <summary>The validated API key of the current request.</summary>
    public static JwtValidation ApiKey(this HttpContext http) =>
        http.Items[ValidationItem] as JwtValidation ?? throw new InvalidOperationException("The API key was not checked.");

    /// <summary>The bearer token of the Authorization header, or null.</summary>
    public static string? BearerToken(this HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? header[prefix.Length..].Trim() : null;
    }

    private static IResult Reject(string message, string hint) =>
        Results.Content(new JsonObject { ["message"] = message, ["hint"] = hint }.ToJsonString(Hosting.JsonOutput.Options), "application/json", statusCode: StatusCodes.Status401Unauthorized);
}
