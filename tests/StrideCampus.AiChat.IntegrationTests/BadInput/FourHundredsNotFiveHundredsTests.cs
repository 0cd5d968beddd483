using System.Net;
using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.BadInput;

/// <summary>
/// Input that once made LocalStack answer 500: NUL characters, lone surrogates and duplicate keys in JSON, oversized
/// bodies, ranges at the edge of a 64-bit integer. Each is a 4xx now, shaped as GoTrue and PostgREST shape it.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class FourHundredsNotFiveHundredsTests(LocalStackFixture fixture) : IDisposable
{
    private static readonly Dictionary<string, string> Modern = new() { ["X-Supabase-Api-Version"] = "2024-01-01" };
    private readonly StackHttp _api = new(fixture.Stack);

    public void Dispose() => _api.Dispose();

    [Theory]
    [InlineData("""{"email":"a\u0000b@example.test","password":"secret-123"}""", "/auth/v1/signup")]
    [InlineData("""{"email":"nul@example.test","password":"secret\u0000123"}""", "/auth/v1/signup")]
    [InlineData("""{"email":"meta@example.test","password":"secret-123","data":{"x":"a\u0000b"}}""", "/auth/v1/signup")]
    [InlineData("""{"email":"nul@example.test","password":"secret\u0000123"}""", "/auth/v1/token?grant_type=password")]
    [InlineData("""{"refresh_token":"a\u0000b"}""", "/auth/v1/token?grant_type=refresh_token")]
    public async Task Auth_refuses_nul_characters_with_400(string body, string path)
    {
        var reply = await _api.SendAsync(HttpMethod.Post, path, body: body, headers: Modern);
        Assert.True(reply.Status == 400, reply.ToString());
        Assert.Equal("validation_failed", reply.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Auth_decodes_a_lone_surrogate_as_the_replacement_character_as_gotrue_does()
    {
        var email = StackHttp.NewEmail("surrogate");
        var signUp = await _api.SendAsync(HttpMethod.Post, "/auth/v1/signup", body: $$"""{"email":"{{email}}","password":"pass-\ud800-word"}""");
        Assert.True(signUp.Status == 200, signUp.ToString());

        // Go's encoding/json turns the lone surrogate into U+FFFD: the password is that text.
        var signIn = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", body: JsonSerializer.Serialize(new { email, password = "pass-\uFFFD-word" }));
        Assert.True(signIn.Status == 200, signIn.ToString());
        var wrong = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", body: JsonSerializer.Serialize(new { email, password = "pass--word" }));
        Assert.Equal(400, wrong.Status);
    }

    [Fact]
    public async Task Auth_refuses_duplicate_keys_and_bodies_over_one_mebibyte()
    {
        var duplicate = await _api.SendAsync(HttpMethod.Post, "/auth/v1/signup", body: """{"email":"d1@example.test","email":"d2@example.test","password":"secret-123"}""", headers: Modern);
        Assert.True(duplicate.Status == 400, duplicate.ToString());
        Assert.Equal("bad_json", duplicate.Json.GetProperty("code").GetString());

        // supabase/auth internal/api/api.go: limitRequestBody(1 << 20).
        using var response = await SendLargeAsync("/auth/v1/signup", $$"""{"email":"big@example.test","password":"{{new string('p', 1 << 20)}}"}""", bearer: null);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("request_entity_too_large", json.RootElement.GetProperty("code").GetString());
    }

    private async Task<HttpResponseMessage> SendLargeAsync(string path, string body, string? bearer)
    {
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("apikey", fixture.Stack.AnonKey);
        request.Headers.TryAddWithoutValidation("X-Supabase-Api-Version", "2024-01-01");
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }
        // The server refuses on the declared length, before it asks for the body (so the client is never cut off mid-send).
        request.Headers.ExpectContinue = true;
        return await http.SendAsync(request);
    }

    [Theory]
    [InlineData("POST", "/rest/v1/ai_chat_sessions", """{"title":"a","title":"b"}""")]
    [InlineData("PATCH", "/rest/v1/ai_chat_sessions?id=eq.00000000-0000-0000-0000-000000000000", """{"title":"a","title":"b"}""")]
    [InlineData("POST", "/rest/v1/rpc/switch_active_session", """{"p_session_id":"a","p_session_id":"b"}""")]
    [InlineData("POST", "/rest/v1/ai_chat_sessions", """{"title":"a\ud800b"}""")]
    [InlineData("POST", "/rest/v1/ai_chat_sessions", """{"title\udc00":"a"}""")]
    public async Task Rest_refuses_duplicate_keys_and_lone_surrogates_as_invalid_json(string method, string path, string body)
    {
        var user = await _api.SignUpAsync("rest-json");
        var reply = await _api.SendAsync(new HttpMethod(method), path, user.AccessToken, body);
        Assert.True(reply.Status == 400, reply.ToString());
        Assert.Equal("PGRST102", reply.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Rest_range_up_to_the_largest_integer_means_all_rows_and_past_the_end_is_416()
    {
        var owner = await _api.SignUpAsync("range-owner");
        var other = await _api.SignUpAsync("range-other");
        var created = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", owner.AccessToken, """{"title":"mine"}""");
        Assert.Equal(201, created.Status);

        var all = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title", owner.AccessToken, headers: new Dictionary<string, string> { ["Range"] = "0-9223372036854775807" });
        Assert.True(all.Status == 200, all.ToString());
        Assert.Equal("""[{"title":"mine"}]""", all.Body);
        var none = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title", other.AccessToken, headers: new Dictionary<string, string> { ["Range"] = "0-9223372036854775807" });
        Assert.Equal("[]", none.Body);

        var past = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title", owner.AccessToken,
            headers: new Dictionary<string, string> { ["Range"] = "9223372036854775807-", ["Prefer"] = "count=exact" });
        Assert.True(past.Status == 416, past.ToString());
        Assert.Equal("PGRST103", past.Json.GetProperty("code").GetString());
        Assert.Equal("An offset of 9223372036854775807 was requested, but there are only 1 rows.", past.Json.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Rest_body_over_the_server_limit_is_413_before_it_is_sent()
    {
        var user = await _api.SignUpAsync("rest-big");
        using var response = await SendLargeAsync("/rest/v1/ai_chat_sessions", $$"""{"title":"{{new string('t', 31 * 1024 * 1024)}}"}""", user.AccessToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
