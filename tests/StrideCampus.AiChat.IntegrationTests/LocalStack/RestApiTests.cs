using System.Text.Json;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>/rest/v1 over raw HTTP: PostgREST's statuses and codes, RLS isolation, injection attempts.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class RestApiTests(LocalStackFixture fixture) : IDisposable
{
    private static readonly Dictionary<string, string> Representation = new() { ["Prefer"] = "return=representation" };
    private readonly StackHttp _api = new(fixture.Stack);

    public void Dispose() => _api.Dispose();

    // Rows are separated as json_agg separates them (", \n "), as in PostgREST; compare without it.
    private static string Compact(string json) => json.Replace(", \n ", ",", StringComparison.Ordinal);

    private async Task<Guid> CreateSessionAsync(StackHttp.User user, string title)
    {
        var reply = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions?select=id", user.AccessToken, $$"""{"title":"{{title}}"}""", Representation);
        Assert.True(reply.Status == 201, reply.ToString());
        return Guid.Parse(reply.Json[0].GetProperty("id").GetString()!);
    }

    private async Task<long> CountAllSessionsAsync()
    {
        var service = fixture.Stack.ServiceRoleKey;
        var reply = await _api.SendAsync(HttpMethod.Head, "/rest/v1/ai_chat_sessions", service, headers: new Dictionary<string, string> { ["Prefer"] = "count=exact" }, apiKey: service);
        Assert.True(reply.Status is 200 or 206, reply.ToString());
        var range = reply.Header("Content-Range")!;
        return long.Parse(range[(range.IndexOf('/', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Rls_isolates_two_users_on_every_verb()
    {
        var a = await _api.SignUpAsync("rls-a");
        var b = await _api.SignUpAsync("rls-b");
        var session = await CreateSessionAsync(a, "private");
        var message = Guid.NewGuid();
        var insert = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_messages", a.AccessToken, $$"""{"id":"{{message}}","session_id":"{{session}}","content":"secret","is_user":true}""");
        Assert.Equal(201, insert.Status);
        Assert.Equal("", insert.Body);

        Assert.Equal("[]", (await _api.SendAsync(HttpMethod.Get, $"/rest/v1/ai_chat_sessions?id=eq.{session}", b.AccessToken)).Body);
        Assert.Equal("[]", (await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_messages?select=*,ai_chat_sessions(*)", b.AccessToken)).Body);
        Assert.Equal("[]", (await _api.SendAsync(HttpMethod.Patch, $"/rest/v1/ai_chat_sessions?id=eq.{session}", b.AccessToken, """{"title":"mine now"}""", Representation)).Body);
        Assert.Equal("[]", (await _api.SendAsync(HttpMethod.Delete, $"/rest/v1/ai_chat_messages?id=eq.{message}", b.AccessToken, headers: Representation)).Body);

        var intrude = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_messages", b.AccessToken, $$"""{"session_id":"{{session}}","content":"x","is_user":true}""");
        Assert.Equal(403, intrude.Status);
        Assert.Equal("42501", intrude.Json.GetProperty("code").GetString());
        var move = await _api.SendAsync(HttpMethod.Patch, $"/rest/v1/ai_chat_sessions?id=eq.{session}", b.AccessToken, $$"""{"user_id":"{{b.Id}}"}""", Representation);
        Assert.Equal("[]", move.Body);
        var anon = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", body: """{"title":"anon"}""");
        Assert.Equal(401, anon.Status);
        Assert.Equal("42501", anon.Json.GetProperty("code").GetString());
        var rpc = await _api.SendAsync(HttpMethod.Post, "/rest/v1/rpc/ai_chat_set_active_session", b.AccessToken, $$"""{"p_session_id":"{{session}}"}""");
        Assert.Equal("P0002", rpc.Json.GetProperty("code").GetString());

        var mine = await _api.SendAsync(HttpMethod.Get, $"/rest/v1/ai_chat_sessions?select=title,user_id,ai_chat_messages(content)&id=eq.{session}", a.AccessToken);
        Assert.Equal($$"""[{"title":"private","user_id":"{{a.Id}}","ai_chat_messages":[{"content":"secret"}]}]""", mine.Json.GetRawText().Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("select=id,(select%201)")]
    [InlineData("select=id;drop%20table%20ai_chat_sessions")]
    [InlineData("select=%22id%22%22;drop%20table%20ai_chat_sessions;--%22")]
    [InlineData("select=id::text;drop%20table%20ai_chat_sessions")]
    [InlineData("select=*,ai_chat_messages!inner;drop(*)")]
    [InlineData("select=*,pg_authid(*)")]
    [InlineData("select=*,ai_chat_messages(*")]
    [InlineData("order=id;drop%20table%20ai_chat_sessions")]
    [InlineData("order=id.desc;drop")]
    [InlineData("order=(select%201)")]
    [InlineData("id=in.(1,2))%20or%20(1=1")]
    [InlineData("or=(id.eq.1)%20or%201=1--")]
    [InlineData("or=(title.eq.x,title.raw.1=1)")]
    [InlineData("title=sql.1=1")]
    [InlineData("title=is.1=1")]
    [InlineData("%22id%22=eq.x")]
    [InlineData("id=eq.1%27%20or%20%271%27=%271")]
    [InlineData("limit=1;drop")]
    [InlineData("limit=-1")]
    [InlineData("offset=99999999999999999999999")]
    [InlineData("ai_chat_messages.id=eq.1")]
    [InlineData("select=*,ai_chat_messages(*)&ai_chat_messages.nope=eq.1")]
    [InlineData("title=like.%00")]
    [InlineData("select=a:%22x%00y%22")]
    [InlineData("select=%22a%27b%22:ai_chat_messages(count)&id=eq.00000000-0000-0000-0000-000000000000")]
    public async Task Injection_attempts_get_a_client_error_never_a_server_error(string query)
    {
        var user = await _api.SignUpAsync("inject");
        await CreateSessionAsync(user, "victim");
        var before = await CountAllSessionsAsync();

        var reply = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?" + query, user.AccessToken);

        Assert.True(reply.Status is 400 or 200, reply.ToString());
        if (reply.Status == 400)
        {
            var code = reply.Json.GetProperty("code").GetString();
            Assert.Contains(code, new[] { "PGRST100", "PGRST108", "PGRST200", "42703", "22P02", "22021" });
        }
        else
        {
            Assert.Equal("[]", reply.Body);
        }
        Assert.Equal(before, await CountAllSessionsAsync());
    }

    [Fact]
    public async Task Deeply_nested_logic_and_embedding_are_refused_without_recursion()
    {
        var user = await _api.SignUpAsync("deep");
        var logic = string.Concat(Enumerable.Repeat("or(", 500)) + "id.eq.1" + new string(')', 500);
        var reply = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?or=(" + logic + ")", user.AccessToken);
        Assert.Equal(400, reply.Status);
        Assert.Equal("PGRST100", reply.Json.GetProperty("code").GetString());
        var select = string.Concat(Enumerable.Repeat("ai_chat_sessions(", 200)) + "*" + new string(')', 200);
        reply = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=" + select, user.AccessToken);
        Assert.Equal(400, reply.Status);
    }

    [Fact]
    public async Task Values_with_sql_in_them_are_plain_values()
    {
        var user = await _api.SignUpAsync("values");
        var evil = "x'); delete from ai_chat_sessions; --";
        var reply = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions?select=title", user.AccessToken, JsonSerializer.Serialize(new { title = evil }), Representation);
        Assert.Equal(201, reply.Status);
        var found = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title&title=eq." + Uri.EscapeDataString(evil), user.AccessToken);
        Assert.Equal(evil, found.Json[0].GetProperty("title").GetString());
        var listed = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title&title=in.(" + Uri.EscapeDataString("\"" + evil + "\",other") + ")", user.AccessToken);
        Assert.Equal(evil, listed.Json[0].GetProperty("title").GetString());
    }

    [Fact]
    public async Task Ranges_counts_and_singular_responses_follow_postgrest()
    {
        var user = await _api.SignUpAsync("range");
        foreach (var t in new[] { "t1", "t2", "t3" })
        {
            await CreateSessionAsync(user, t);
        }
        var count = new Dictionary<string, string> { ["Prefer"] = "count=exact", ["Range"] = "1-5" };
        var page = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title&order=title.desc", user.AccessToken, headers: count);
        Assert.Equal(206, page.Status);
        Assert.Equal("1-2/3", page.Header("Content-Range"));
        Assert.Equal(["t2", "t1"], page.Json.EnumerateArray().Select(e => e.GetProperty("title").GetString()));

        var plain = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title&limit=2", user.AccessToken);
        Assert.Equal(200, plain.Status);
        Assert.Equal("0-1/*", plain.Header("Content-Range"));

        var head = await _api.SendAsync(HttpMethod.Head, "/rest/v1/ai_chat_sessions", user.AccessToken, headers: new Dictionary<string, string> { ["Prefer"] = "count=exact" });
        Assert.Equal(200, head.Status);
        Assert.Equal("0-2/3", head.Header("Content-Range"));
        Assert.Equal("", head.Body);

        var beyond = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?offset=10", user.AccessToken, headers: new Dictionary<string, string> { ["Prefer"] = "count=exact" });
        Assert.Equal(416, beyond.Status);
        Assert.Equal("PGRST103", beyond.Json.GetProperty("code").GetString());

        var single = new Dictionary<string, string> { ["Accept"] = "application/vnd.pgrst.object+json" };
        var one = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title&title=eq.t2", user.AccessToken, headers: single);
        Assert.Equal(200, one.Status);
        Assert.Equal("t2", one.Json.GetProperty("title").GetString());
        var many = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions", user.AccessToken, headers: single);
        Assert.Equal(406, many.Status);
        Assert.Equal("PGRST116", many.Json.GetProperty("code").GetString());
        Assert.Equal("The result contains 3 rows", many.Json.GetProperty("details").GetString());

        // A singular PATCH that matches three rows is refused and rolled back.
        var patch = await _api.SendAsync(HttpMethod.Patch, "/rest/v1/ai_chat_sessions?title=like.t*", user.AccessToken, """{"title":"same"}""", single);
        Assert.Equal(406, patch.Status);
        var titles = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title&order=title", user.AccessToken);
        Assert.Equal(["t1", "t2", "t3"], titles.Json.EnumerateArray().Select(e => e.GetProperty("title").GetString()));

        var counted = await _api.SendAsync(HttpMethod.Patch, "/rest/v1/ai_chat_sessions?title=in.(t1,t2)", user.AccessToken, """{"is_active":false}""", new Dictionary<string, string> { ["Prefer"] = "count=exact" });
        Assert.Equal(204, counted.Status);
        Assert.Equal("*/2", counted.Header("Content-Range"));
    }

    [Fact]
    public async Task Embedded_resources_take_their_own_filters_order_and_limit()
    {
        var user = await _api.SignUpAsync("embed");
        var session = await CreateSessionAsync(user, "chat");
        var rows = string.Join(",", Enumerable.Range(1, 5).Select(i => $$"""{"session_id":"{{session}}","content":"m{{i}}","is_user":{{(i % 2 == 1 ? "true" : "false")}}}"""));
        Assert.Equal(201, (await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_messages", user.AccessToken, "[" + rows + "]")).Status);

        var reply = await _api.SendAsync(HttpMethod.Get,
            $"/rest/v1/ai_chat_sessions?select=title,msgs:ai_chat_messages(content)&id=eq.{session}&msgs.is_user=is.true&msgs.order=content.desc&msgs.limit=2",
            user.AccessToken);
        Assert.Equal(200, reply.Status);
        Assert.Equal("""[{"title":"chat","msgs":[{"content":"m5"},{"content":"m3"}]}]""", Compact(reply.Body));

        reply = await _api.SendAsync(HttpMethod.Get, $"/rest/v1/ai_chat_messages?select=content&session_id=eq.{session}&content=match.^m[24]$&order=content", user.AccessToken);
        Assert.Equal("""[{"content":"m2"},{"content":"m4"}]""", Compact(reply.Body));
        reply = await _api.SendAsync(HttpMethod.Get, $"/rest/v1/ai_chat_messages?select=content&session_id=eq.{session}&content=isdistinct.m1&is_user=not.eq.false&order=content.desc", user.AccessToken);
        Assert.Equal("""[{"content":"m5"},{"content":"m3"}]""", Compact(reply.Body));
    }

    [Fact]
    public async Task Tokens_and_unknown_names_map_to_postgrest_codes()
    {
        var user = await _api.SignUpAsync("codes");
        var forged = new StrideCampus.AiChat.LocalStack.Auth.JwtService(new string('z', 40)).Create(new Dictionary<string, object>
        {
            ["sub"] = user.Id.ToString(), ["role"] = "service_role", ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        });
        var reply = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions", forged);
        Assert.Equal(401, reply.Status);
        Assert.Equal("PGRST301", reply.Json.GetProperty("code").GetString());
        Assert.NotNull(reply.Header("WWW-Authenticate"));

        var expired = fixture.Stack.Jwt.Create(new Dictionary<string, object>
        {
            ["sub"] = user.Id.ToString(), ["role"] = "authenticated", ["exp"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(),
        });
        reply = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions", expired);
        Assert.Equal(401, reply.Status);
        Assert.Equal("PGRST303", reply.Json.GetProperty("code").GetString());

        reply = await _api.SendAsync(HttpMethod.Get, "/rest/v1/no_such_table", user.AccessToken);
        Assert.Equal(404, reply.Status);
        Assert.Equal("PGRST205", reply.Json.GetProperty("code").GetString());
        reply = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", user.AccessToken, """{"title":"x","nope":1}""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("PGRST204", reply.Json.GetProperty("code").GetString());
        reply = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", user.AccessToken, "{broken");
        Assert.Equal(400, reply.Status);
        Assert.Equal("PGRST102", reply.Json.GetProperty("code").GetString());
        reply = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?ai_chat_messages.order=created_at", user.AccessToken);
        Assert.Equal(400, reply.Status);
        Assert.Equal("PGRST108", reply.Json.GetProperty("code").GetString());
        reply = await _api.SendAsync(HttpMethod.Post, "/rest/v1/rpc/nope", user.AccessToken, "{}");
        Assert.Equal(404, reply.Status);
        Assert.Equal("PGRST202", reply.Json.GetProperty("code").GetString());
        reply = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions", user.AccessToken, headers: new Dictionary<string, string> { ["Accept-Profile"] = "auth" });
        Assert.Equal(406, reply.Status);
        Assert.Equal("PGRST106", reply.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Rpc_runs_with_named_arguments_and_get_is_read_only()
    {
        var user = await _api.SignUpAsync("rpc");
        var first = await CreateSessionAsync(user, "one");
        var second = await CreateSessionAsync(user, "two");
        var reply = await _api.SendAsync(HttpMethod.Post, "/rest/v1/rpc/ai_chat_set_active_session?select=id,is_active", user.AccessToken, $$"""{"p_session_id":"{{first}}"}""");
        Assert.Equal(200, reply.Status);
        Assert.Equal($$"""[{"id":"{{first}}","is_active":true}]""", reply.Body);

        // GET runs in a read-only transaction, so a function that writes fails as in PostgREST.
        reply = await _api.SendAsync(HttpMethod.Get, $"/rest/v1/rpc/ai_chat_set_active_session?p_session_id={second}", user.AccessToken);
        Assert.Equal(405, reply.Status);
        Assert.Equal("25006", reply.Json.GetProperty("code").GetString());

        reply = await _api.SendAsync(HttpMethod.Post, "/rest/v1/rpc/ai_chat_set_active_session", user.AccessToken, """{"p_session_id":"not-a-uuid"}""");
        Assert.Equal(400, reply.Status);
        Assert.Equal("22P02", reply.Json.GetProperty("code").GetString());
        reply = await _api.SendAsync(HttpMethod.Post, "/rest/v1/rpc/ai_chat_set_active_session", user.AccessToken, """{"p_session_id":null,"extra":1}""");
        Assert.Equal(404, reply.Status);
        Assert.Equal("PGRST202", reply.Json.GetProperty("code").GetString());
    }
}
