using System.Text.Json;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>/auth/v1 over raw HTTP: GoTrue's shapes, codes and statuses.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class AuthApiTests(LocalStackFixture fixture) : IDisposable
{
    private static readonly Dictionary<string, string> Modern = new() { ["X-Supabase-Api-Version"] = "2024-01-01" };
    private readonly StackHttp _api = new(fixture.Stack);

    public void Dispose() => _api.Dispose();

    [Fact]
    public async Task Signup_returns_a_session_with_supabase_claims()
    {
        var email = StackHttp.NewEmail("claims");
        var reply = await _api.SendAsync(HttpMethod.Post, "/auth/v1/signup", body: JsonSerializer.Serialize(new { email = email.ToUpperInvariant(), password = "secret-1", data = new { plan = "pro" } }));
        Assert.Equal(200, reply.Status);
        var json = reply.Json;
        Assert.Equal("bearer", json.GetProperty("token_type").GetString());
        Assert.Equal(3600, json.GetProperty("expires_in").GetInt64());
        var user = json.GetProperty("user");
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal("authenticated", user.GetProperty("aud").GetString());
        Assert.Equal("pro", user.GetProperty("user_metadata").GetProperty("plan").GetString());
        Assert.Equal("email", user.GetProperty("app_metadata").GetProperty("provider").GetString());

        var token = await fixture.Stack.Jwt.ValidateAsync(json.GetProperty("access_token").GetString());
        Assert.True(token.IsValid);
        using var claims = JsonDocument.Parse(token.PayloadJson!);
        var c = claims.RootElement;
        Assert.Equal(user.GetProperty("id").GetString(), c.GetProperty("sub").GetString());
        Assert.Equal("authenticated", c.GetProperty("role").GetString());
        Assert.Equal("authenticated", c.GetProperty("aud").GetString());
        Assert.Equal(email, c.GetProperty("email").GetString());
        Assert.Equal(json.GetProperty("expires_at").GetInt64(), c.GetProperty("exp").GetInt64());
        Assert.Equal(3600, c.GetProperty("exp").GetInt64() - c.GetProperty("iat").GetInt64());
        Assert.True(Guid.TryParse(c.GetProperty("session_id").GetString(), out _));
        Assert.Equal("pro", c.GetProperty("user_metadata").GetProperty("plan").GetString());
    }

    [Fact]
    public async Task Errors_have_gotrue_codes_in_both_api_versions()
    {
        var user = await _api.SignUpAsync("errors");

        var legacy = await _api.SendAsync(HttpMethod.Post, "/auth/v1/signup", body: $$"""{"email":"{{user.Email}}","password":"secret-1"}""");
        Assert.Equal(422, legacy.Status);
        Assert.Equal(422, legacy.Json.GetProperty("code").GetInt32());
        Assert.Equal("user_already_exists", legacy.Json.GetProperty("error_code").GetString());
        Assert.Equal("User already registered", legacy.Json.GetProperty("msg").GetString());
        Assert.Equal("user_already_exists", legacy.Header("x-sb-error-code"));

        var modern = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", body: $$"""{"email":"{{user.Email}}","password":"wrong-one"}""", headers: Modern);
        Assert.Equal(400, modern.Status);
        Assert.Equal("""{"code":"invalid_credentials","message":"Invalid login credentials"}""", modern.Body);
        Assert.Equal("2024-01-01", modern.Header("X-Supabase-Api-Version"));

        var weak = await _api.SendAsync(HttpMethod.Post, "/auth/v1/signup", body: $$"""{"email":"{{StackHttp.NewEmail("weak")}}","password":"12345"}""", headers: Modern);
        Assert.Equal(422, weak.Status);
        Assert.Equal("weak_password", weak.Json.GetProperty("code").GetString());
        Assert.Equal("length", weak.Json.GetProperty("weak_password").GetProperty("reasons")[0].GetString());

        var badJson = await _api.SendAsync(HttpMethod.Post, "/auth/v1/signup", body: "{not json", headers: Modern);
        Assert.Equal(400, badJson.Status);
        Assert.Equal("bad_json", badJson.Json.GetProperty("code").GetString());

        var grant = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=magic", body: "{}");
        Assert.Equal(400, grant.Status);
    }

    [Fact]
    public async Task Refresh_tokens_rotate_and_concurrent_uses_of_one_token_get_the_same_next_token()
    {
        var user = await _api.SignUpAsync("rotate");
        var first = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", body: $$"""{"refresh_token":"{{user.RefreshToken}}"}""");
        Assert.Equal(200, first.Status);
        var next = first.Json.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(user.RefreshToken, next);

        // Concurrent uses of one token (tabs waking up together): GoTrue serialises them on the session and answers
        // the later ones with the token the first one created (supabase/auth internal/tokens/service.go).
        var replies = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", body: $$"""{"refresh_token":"{{next}}"}""", headers: Modern)));
        Assert.All(replies, r => Assert.Equal(200, r.Status));
        Assert.Single(replies.Select(r => r.Json.GetProperty("refresh_token").GetString()).Distinct());
        Assert.NotEqual(next, replies[0].Json.GetProperty("refresh_token").GetString());
    }

    [Fact]
    public async Task User_endpoint_refuses_missing_forged_and_expired_tokens()
    {
        var user = await _api.SignUpAsync("user");
        var ok = await _api.SendAsync(HttpMethod.Get, "/auth/v1/user", user.AccessToken);
        Assert.Equal(200, ok.Status);
        Assert.Equal(user.Id.ToString(), ok.Json.GetProperty("id").GetString());

        var none = await _api.SendAsync(HttpMethod.Get, "/auth/v1/user", headers: Modern);
        Assert.Equal(401, none.Status);
        Assert.Equal("no_authorization", none.Json.GetProperty("code").GetString());

        var forged = new StrideCampus.AiChat.LocalStack.Auth.JwtService(new string('k', 40)).Create(new Dictionary<string, object>
        {
            ["sub"] = user.Id.ToString(), ["role"] = "authenticated", ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        });
        var bad = await _api.SendAsync(HttpMethod.Get, "/auth/v1/user", forged, headers: Modern);
        Assert.Equal(403, bad.Status);
        Assert.Equal("bad_jwt", bad.Json.GetProperty("code").GetString());

        var expired = fixture.Stack.Jwt.Create(new Dictionary<string, object>
        {
            ["sub"] = user.Id.ToString(), ["role"] = "authenticated", ["aud"] = "authenticated",
            ["iat"] = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds(), ["exp"] = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(),
        });
        var old = await _api.SendAsync(HttpMethod.Get, "/auth/v1/user", expired, headers: Modern);
        Assert.Equal(403, old.Status);
        Assert.Equal("bad_jwt", old.Json.GetProperty("code").GetString());
        Assert.Contains("expired", old.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_user_changes_the_password_and_merges_metadata()
    {
        var user = await _api.SignUpAsync("update");
        var reply = await _api.SendAsync(HttpMethod.Put, "/auth/v1/user", user.AccessToken, """{"password":"new-password-9","data":{"a":1}}""");
        Assert.Equal(200, reply.Status);
        Assert.Equal(1, reply.Json.GetProperty("user_metadata").GetProperty("a").GetInt32());
        var old = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", body: $$"""{"email":"{{user.Email}}","password":"{{user.Password}}"}""");
        Assert.Equal(400, old.Status);
        var fresh = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", body: $$"""{"email":"{{user.Email}}","password":"new-password-9"}""");
        Assert.Equal(200, fresh.Status);
        var weak = await _api.SendAsync(HttpMethod.Put, "/auth/v1/user", user.AccessToken, """{"password":"1"}""");
        Assert.Equal(422, weak.Status);
    }

    [Fact]
    public async Task Logout_ends_the_session_and_its_refresh_tokens()
    {
        var user = await _api.SignUpAsync("logout");
        Assert.Equal(204, (await _api.SendAsync(HttpMethod.Post, "/auth/v1/logout?scope=global", user.AccessToken)).Status);
        var after = await _api.SendAsync(HttpMethod.Get, "/auth/v1/user", user.AccessToken, headers: Modern);
        Assert.Equal(403, after.Status);
        Assert.Equal("session_not_found", after.Json.GetProperty("code").GetString());
        var refresh = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", body: $$"""{"refresh_token":"{{user.RefreshToken}}"}""", headers: Modern);
        Assert.Equal("refresh_token_not_found", refresh.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Browsers_get_cors_preflight_answers_without_a_key()
    {
        var preflight = await _api.SendAsync(HttpMethod.Options, "/rest/v1/ai_chat_sessions", apiKey: null, headers: new Dictionary<string, string>
        {
            ["Origin"] = "http://localhost:3000", ["Access-Control-Request-Method"] = "POST", ["Access-Control-Request-Headers"] = "apikey, authorization, prefer",
        });
        Assert.Equal(200, preflight.Status);
        Assert.Equal("*", preflight.Header("Access-Control-Allow-Origin"));
        Assert.Equal("apikey, authorization, prefer", preflight.Header("Access-Control-Allow-Headers"));
        var get = await _api.SendAsync(HttpMethod.Get, "/auth/v1/user", headers: new Dictionary<string, string> { ["Origin"] = "http://localhost:3000" });
        Assert.Equal(401, get.Status);
        Assert.Equal("*", get.Header("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Api_key_is_required_and_admin_needs_the_service_role()
    {
        var missing = await _api.SendAsync(HttpMethod.Get, "/auth/v1/user", apiKey: null);
        Assert.Equal(401, missing.Status);
        Assert.Equal("No API key found in request", missing.Json.GetProperty("message").GetString());
        var wrong = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions", apiKey: "not-a-jwt");
        Assert.Equal(401, wrong.Status);
        Assert.Equal("Invalid API key", wrong.Json.GetProperty("message").GetString());

        var user = await _api.SignUpAsync("admin");
        var asUser = await _api.SendAsync(HttpMethod.Get, "/auth/v1/admin/users", user.AccessToken, headers: Modern);
        Assert.Equal(403, asUser.Status);
        Assert.Equal("not_admin", asUser.Json.GetProperty("code").GetString());

        var service = fixture.Stack.ServiceRoleKey;
        var list = await _api.SendAsync(HttpMethod.Get, "/auth/v1/admin/users?per_page=1000", service, apiKey: service);
        Assert.Equal(200, list.Status);
        Assert.Contains(list.Json.GetProperty("users").EnumerateArray(), u => u.GetProperty("id").GetString() == user.Id.ToString());
        Assert.True(long.Parse(list.Header("X-Total-Count")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);

        var created = await _api.SendAsync(HttpMethod.Post, "/auth/v1/admin/users", service, $$"""{"email":"{{StackHttp.NewEmail("made")}}","password":"secret-1","email_confirm":true}""", apiKey: service);
        Assert.Equal(200, created.Status);
        var id = created.Json.GetProperty("id").GetString();
        Assert.Equal(200, (await _api.SendAsync(HttpMethod.Get, "/auth/v1/admin/users/" + id, service, apiKey: service)).Status);
        Assert.Equal(200, (await _api.SendAsync(HttpMethod.Delete, "/auth/v1/admin/users/" + id, service, apiKey: service)).Status);
        Assert.Equal(404, (await _api.SendAsync(HttpMethod.Get, "/auth/v1/admin/users/" + id, service, apiKey: service)).Status);
    }
}
