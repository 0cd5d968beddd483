using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace StrideCampus.AiChat.LocalStack.Auth;

/// <summary>Maps the GoTrue-compatible subset under <c>/auth/v1</c>.</summary>
internal static class AuthEndpoints
{
    public static IServiceCollection AddAuthServices(this IServiceCollection services) =>
        services.AddSingleton<GoTrueService>().AddSingleton<AuthRateLimiter>();

    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapCorsPreflight("/auth/v1");
        var group = app.MapGroup("/auth/v1").RequireApiKey();

        group.MapPost("/signup", (HttpContext http, GoTrueService auth, AuthRateLimiter limits) => HandleAsync(http, async ct =>
        {
            limits.CheckSignUp(http);
            var body = await ReadBodyAsync(http, ct).ConfigureAwait(false);
            var session = await auth.SignUpAsync(Str(body, "email"), Str(body, "password"), body?["data"], ct).ConfigureAwait(false);
            return Json(session.ToJsonString(Hosting.JsonOutput.Options));
        }));

        group.MapPost("/token", (HttpContext http, GoTrueService auth, AuthRateLimiter limits) => HandleAsync(http, async ct =>
        {
            var grant = http.Request.Query["grant_type"].ToString();
            if (grant is "password" or "refresh_token")
            {
                limits.CheckToken(http);
            }
            var body = await ReadBodyAsync(http, ct).ConfigureAwait(false);
            var session = grant switch
            {
                "password" => await auth.PasswordGrantAsync(Str(body, "email"), Str(body, "password"), ct).ConfigureAwait(false),
                "refresh_token" => await auth.RefreshAsync(Str(body, "refresh_token"), ct).ConfigureAwait(false),
                _ => throw GoTrueException.BadRequest("validation_failed", "unsupported_grant_type"),
            };
            return Json(session.ToJsonString(Hosting.JsonOutput.Options));
        }));

        group.MapGet("/user", (HttpContext http, GoTrueService auth) => HandleAsync(http, async ct =>
        {
            var user = await auth.AuthenticateAsync(http.BearerToken(), ct).ConfigureAwait(false);
            return Json(await auth.GetUserJsonAsync(user.UserId, ct).ConfigureAwait(false));
        }));

        group.MapPut("/user", (HttpContext http, GoTrueService auth) => HandleAsync(http, async ct =>
        {
            var user = await auth.AuthenticateAsync(http.BearerToken(), ct).ConfigureAwait(false);
            var body = await ReadBodyAsync(http, ct).ConfigureAwait(false);
            return Json(await auth.UpdateUserAsync(user.UserId, Str(body, "email"), Str(body, "password"), body?["data"], ct).ConfigureAwait(false));
        }));

        group.MapPost("/logout", (HttpContext http, GoTrueService auth) => HandleAsync(http, async ct =>
        {
            var user = await auth.AuthenticateAsync(http.BearerToken(), ct).ConfigureAwait(false);
            await auth.LogoutAsync(user, http.Request.Query["scope"].ToString(), ct).ConfigureAwait(false);
            return Results.NoContent();
        }));

        group.MapGet("/admin/users", (HttpContext http, GoTrueService auth) => HandleAsync(http, async ct =>
        {
            await RequireAdminAsync(http, auth).ConfigureAwait(false);
            var page = PositiveInt(http.Request.Query["page"].ToString(), 1);
            var perPage = Math.Min(PositiveInt(http.Request.Query["per_page"].ToString(), 50), 1000);
            var (users, total) = await auth.AdminListUsersAsync(page, perPage, ct).ConfigureAwait(false);
            http.Response.Headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
            return Json($$"""{"users":{{users}},"aud":"authenticated"}""");
        }));

        group.MapPost("/admin/users", (HttpContext http, GoTrueService auth) => HandleAsync(http, async ct =>
        {
            await RequireAdminAsync(http, auth).ConfigureAwait(false);
            var body = await ReadBodyAsync(http, ct).ConfigureAwait(false);
            var confirm = body?["email_confirm"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
            var user = await auth.AdminCreateUserAsync(Str(body, "email"), Str(body, "password"), confirm, body?["user_metadata"], body?["app_metadata"], ct).ConfigureAwait(false);
            return Json(user);
        }));

        group.MapGet("/admin/users/{id}", (HttpContext http, GoTrueService auth, string id) => HandleAsync(http, async ct =>
        {
            await RequireAdminAsync(http, auth).ConfigureAwait(false);
            return Json(await auth.GetUserJsonAsync(ParseUserId(id), ct).ConfigureAwait(false));
        }));

        group.MapDelete("/admin/users/{id}", (HttpContext http, GoTrueService auth, string id) => HandleAsync(http, async ct =>
        {
            await RequireAdminAsync(http, auth).ConfigureAwait(false);
            return Json(await auth.AdminDeleteUserAsync(ParseUserId(id), ct).ConfigureAwait(false));
        }));

        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, Func<CancellationToken, Task<IResult>> handler)
    {
        AuthInput.LimitBody(http);
        http.Request.EnableBuffering();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await handler(http.RequestAborted).ConfigureAwait(false);
            }
            catch (GoTrueException e)
            {
                return e.ToResult(http);
            }
            catch (Npgsql.NpgsqlException e) when (e is not Npgsql.PostgresException)
            {
                // The database went away (a restart): pooled connections are broken. Clear them and
                // run the request once more on a fresh connection (the broken one ran nothing).
                Npgsql.NpgsqlConnection.ClearAllPools();
                if (attempt > 1 || http.RequestAborted.IsCancellationRequested)
                {
                    return new GoTrueException(StatusCodes.Status503ServiceUnavailable, "unexpected_failure", "Database unavailable, retry the request").ToResult(http);
                }
                http.Request.Body.Position = 0;
            }
        }
    }

    private static async Task RequireAdminAsync(HttpContext http, GoTrueService auth)
    {
        _ = auth;
        var bearer = http.BearerToken();
        if (string.IsNullOrEmpty(bearer))
        {
            throw GoTrueException.Unauthorized("no_authorization", "This endpoint requires a valid Bearer token");
        }
        var validation = await http.RequestServices.GetRequiredService<Hosting.LocalStackContext>().Jwt.ValidateAsync(bearer).ConfigureAwait(false);
        if (!validation.IsValid)
        {
            throw GoTrueException.Forbidden("bad_jwt", validation.Expired
                ? "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired"
                : "invalid JWT: unable to parse or verify signature, signature is invalid");
        }
        if (validation.Role is not ("service_role" or "supabase_admin"))
        {
            throw GoTrueException.Forbidden("not_admin", "User not allowed");
        }
    }

    private static Task<JsonObject?> ReadBodyAsync(HttpContext http, CancellationToken cancellationToken) =>
        AuthInput.ReadObjectAsync(http, cancellationToken);

    private static string? Str(JsonObject? body, string name) =>
        body?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static int PositiveInt(string value, int fallback) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;

    private static Guid ParseUserId(string id) =>
        Guid.TryParse(id, out var g) ? g : throw GoTrueException.NotFound("user_not_found", "User not found");

    private static IResult Json(string json) => Results.Content(json, "application/json");
}
