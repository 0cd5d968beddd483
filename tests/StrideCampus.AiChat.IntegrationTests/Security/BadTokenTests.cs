using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.IntegrationTests.Client;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.Security;

/// <summary>
/// Missing keys, the anon key as a user token, expired, wrongly signed, edited and forged tokens against
/// /rest/v1 and /auth/v1: each refused with the status and code Supabase's gateway, PostgREST and GoTrue use.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class BadTokenTests(LocalStackFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const string WrongSecret = "not-the-secret-of-this-stack-0123456789abcdef";
    private readonly StackHttp _raw = new(fixture.Stack);
    private int _refused;

    public void Dispose() => _raw.Dispose();

    private async Task<(StackHttp.User A, Guid ASession, Dictionary<string, string> Bad)> SetUpAsync()
    {
        var a = await _raw.SignUpAsync("tok-a");
        var b = await _raw.SignUpAsync("tok-b");
        var created = await _raw.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", a.AccessToken, """{"title":"A only"}""", new Dictionary<string, string> { ["Prefer"] = "return=representation" });
        Assert.Equal(201, created.Status);
        var session = Guid.Parse(created.Json[0].GetProperty("id").GetString()!);
        var bad = new Dictionary<string, string>
        {
            ["expired"] = RealtimeTestData.Token(fixture.Stack, b.Id, TimeSpan.FromMinutes(-1)),
            ["wrong secret"] = TokenForge.Sign(TokenForge.Claims(a.Id), WrongSecret),
            ["role edited to service_role"] = TokenForge.EditPayload(b.AccessToken, p => p["role"] = "service_role"),
            ["sub edited to A"] = TokenForge.EditPayload(b.AccessToken, p => p["sub"] = a.Id.ToString()),
            ["service_role forged"] = TokenForge.Sign(TokenForge.Claims(a.Id, "service_role"), WrongSecret),
            ["alg none"] = TokenForge.B64("""{"alg":"none","typ":"JWT"}"""u8.ToArray()) + "." + TokenForge.B64(System.Text.Encoding.UTF8.GetBytes(TokenForge.Claims(a.Id, "service_role").ToJsonString())) + ".",
            ["garbage"] = "not.a.jwt",
        };
        return (a, session, bad);
    }

    [Fact]
    public async Task Rest_refuses_missing_keys_and_bad_tokens_with_postgrest_codes()
    {
        var (a, session, bad) = await SetUpAsync();
        var read = $"/rest/v1/ai_chat_sessions?id=eq.{session}";

        // The gateway: no apikey at all, or a forged one.
        await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, read, apiKey: null), 401, message: "No API key found in request", what: "no apikey, no token");
        await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, read, bearer: a.AccessToken, apiKey: null), 401, message: "No API key found in request", what: "no apikey, A's own token");
        await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, read, apiKey: bad["service_role forged"]), 401, message: "Invalid API key", what: "forged service_role apikey");
        await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, read, apiKey: bad["role edited to service_role"]), 401, message: "Invalid API key", what: "edited token as apikey");

        // The anon key (as apikey only, or also as bearer) is the anon role: RLS shows nothing, writes are refused.
        foreach (var bearer in new string?[] { null, fixture.Stack.AnonKey })
        {
            var anonRead = await _raw.SendAsync(HttpMethod.Get, read, bearer: bearer);
            Assert.True(anonRead.Status == 200 && anonRead.Json.GetArrayLength() == 0, anonRead.ToString());
            Count($"anon read (bearer {(bearer is null ? "none" : "anon key")})");
            await ExpectAsync(await _raw.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", bearer, """{"title":"anon"}"""), 401, "42501", what: "anon insert");
            var anonPatch = await _raw.SendAsync(new HttpMethod("PATCH"), read, bearer, """{"title":"anon"}""", new Dictionary<string, string> { ["Prefer"] = "return=representation" });
            Assert.True(anonPatch.Status is 200 && anonPatch.Json.GetArrayLength() == 0 || anonPatch.Status == 401, anonPatch.ToString());
            Count("anon update");
            await ExpectAsync(await _raw.SendAsync(HttpMethod.Post, "/rest/v1/rpc/ai_chat_set_active_session", bearer, $$"""{"p_session_id":"{{session}}"}"""), 401, "42501", what: "anon rpc");
        }

        // Bad bearer tokens: PostgREST refuses before running anything.
        foreach (var (name, token) in bad)
        {
            var code = name == "expired" ? "PGRST303" : "PGRST301";
            await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, read, token), 401, code, what: "GET with " + name);
            await ExpectAsync(await _raw.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", token, """{"title":"forged"}"""), 401, code, what: "POST with " + name);
            await ExpectAsync(await _raw.SendAsync(HttpMethod.Delete, read, token), 401, code, what: "DELETE with " + name);
            await ExpectAsync(await _raw.SendAsync(HttpMethod.Post, "/rest/v1/rpc/ai_chat_set_active_session", token, $$"""{"p_session_id":"{{session}}"}"""), 401, code, what: "rpc with " + name);
        }

        // The same through the SDK's client.
        using var http = new HttpClient();
        foreach (var (name, token) in bad)
        {
            var rest = new PostgrestClient(http, new PostgrestClientOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey }, new StaticAccessTokenProvider(token));
            var e = await Assert.ThrowsAsync<PostgrestException>(() => rest.From("ai_chat_sessions", ClientTestJsonContext.Default.TestSession).Eq("id", session.ToString()).GetAsync());
            Assert.True(e.Status == 401 && e.ErrorCode == (name == "expired" ? "PGRST303" : "PGRST301"), $"SDK with {name}: {e.Status} {e.ErrorCode}");
            Count("SDK read with " + name);
            e = await Assert.ThrowsAsync<PostgrestException>(() => rest.From("ai_chat_sessions", ClientTestJsonContext.Default.TestSession).Eq("id", session.ToString()).DeleteAsync());
            Assert.Equal(401, e.Status);
            Count("SDK delete with " + name);
        }

        // Nothing changed.
        Assert.Equal(1L, await RealtimeTestData.ScalarAsync<long>(fixture.Stack, "select count(*) from ai_chat_sessions where user_id = $1 and title = 'A only'", a.Id));
        Assert.Equal(0L, await RealtimeTestData.ScalarAsync<long>(fixture.Stack, "select count(*) from ai_chat_sessions where title in ('anon','forged')"));
        output.WriteLine($"bad-token REST attempts refused: {_refused}");
    }

    [Fact]
    public async Task Auth_refuses_missing_keys_and_bad_tokens_with_gotrue_codes()
    {
        var (a, _, bad) = await SetUpAsync();
        await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, "/auth/v1/user", a.AccessToken, apiKey: null), 401, message: "No API key found in request", what: "/user without apikey");
        await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, "/auth/v1/user"), 401, errorCode: "no_authorization", what: "/user without token");
        await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, "/auth/v1/user", fixture.Stack.AnonKey), 403, errorCode: "bad_jwt", what: "/user with the anon key");
        foreach (var (name, token) in bad)
        {
            await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, "/auth/v1/user", token), 403, errorCode: "bad_jwt", what: "/user with " + name);
            await ExpectAsync(await _raw.SendAsync(HttpMethod.Put, "/auth/v1/user", token, """{"password":"hijacked-123"}"""), 403, errorCode: "bad_jwt", what: "PUT /user with " + name);
            var admin = await _raw.SendAsync(HttpMethod.Get, "/auth/v1/admin/users", token);
            Assert.True(admin.Status == 403 && admin.Json.GetProperty("error_code").GetString() is "bad_jwt" or "not_admin", "admin with " + name + ": " + admin);
            Count("admin list with " + name);
        }

        await ExpectAsync(await _raw.SendAsync(HttpMethod.Get, "/auth/v1/admin/users", a.AccessToken), 403, errorCode: "not_admin", what: "admin with a user token");
        // A's password still works: nothing was changed.
        var signIn = await _raw.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", body: $$"""{"email":"{{a.Email}}","password":"{{a.Password}}"}""");
        Assert.Equal(200, signIn.Status);
        output.WriteLine($"bad-token auth attempts refused: {_refused}");
    }

    private Task ExpectAsync(StackHttp.Reply reply, int status, string? code = null, string? errorCode = null, string? message = null, string what = "")
    {
        Assert.True(reply.Status == status, $"{what}: expected {status}, got {reply}");
        var json = reply.Json;
        if (code is not null)
        {
            Assert.True(json.GetProperty("code").GetString() == code, $"{what}: expected {code}, got {reply}");
        }
        if (errorCode is not null)
        {
            Assert.True(json.GetProperty("error_code").GetString() == errorCode, $"{what}: expected {errorCode}, got {reply}");
        }
        if (message is not null)
        {
            Assert.True(json.GetProperty("message").GetString() == message, $"{what}: expected {message}, got {reply}");
        }
        Count(what);
        return Task.CompletedTask;
    }

    private void Count(string what)
    {
        _refused++;
        output.WriteLine("refused: " + what);
    }
}
