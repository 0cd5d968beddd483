using System.Text;
using Xunit.Abstractions;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>Random query strings and headers built from PostgREST's own tokens: never a server error, never a changed table.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class RestFuzzTests(LocalStackFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Keys = ["select", "order", "limit", "offset", "or", "and", "not.or", "id", "title", "user_id", "is_active", "ai_chat_messages.order", "ai_chat_messages.content", "on_conflict", "columns", "x\"y", "title;", "1"];
    private static readonly string[] Tokens =
    [
        "id", "title", "*", "ai_chat_messages", "ai_chat_sessions", "(", ")", ",", ".", ":", "::", "!", "!inner", "\"", "'", "\\", ";", "--", "/*", "eq", "neq", "in", "is", "like", "ilike",
        "not", "and", "or", "null", "true", "desc", "nullslast", "%00", "%27", "%22", "%2C", "select 1", "drop table ai_chat_sessions", "1=1", "-1", "99999999999999999999", "é", "😀", "$1", "text", "uuid",
    ];

    private static readonly Dictionary<string, string[]> Valid = new()
    {
        ["select"] = ["id,title", "*,ai_chat_messages(*)", "t:title,ai_chat_messages(count)", "title,ai_chat_messages!inner(id)"],
        ["order"] = ["title.desc.nullslast", "created_at,id.asc"],
        ["limit"] = ["1", "0", "10"],
        ["offset"] = ["0", "1"],
        ["or"] = ["(title.eq.a,title.like.*k*)", "(and(is_active.is.false,title.neq.x),id.is.null)"],
        ["title"] = ["eq.keep me", "in.(\"keep me\",x)", "ilike.*KEEP*", "not.is.null"],
        ["is_active"] = ["is.false", "eq.true"],
        ["ai_chat_messages.order"] = ["created_at.desc"],
        ["ai_chat_messages.content"] = ["eq.x"],
    };

    private readonly StackHttp _api = new(fixture.Stack);

    public void Dispose() => _api.Dispose();

    [Fact]
    public async Task Random_requests_never_cause_a_server_error()
    {
        var user = await _api.SignUpAsync("fuzz");
        var session = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", user.AccessToken, """{"title":"keep me"}""");
        Assert.Equal(201, session.Status);
        var random = new Random(20261125);
        var methods = new[] { HttpMethod.Get, HttpMethod.Get, HttpMethod.Head, HttpMethod.Patch, HttpMethod.Delete };
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < 300; i++)
        {
            var query = new StringBuilder();
            for (var p = random.Next(1, 4); p > 0; p--)
            {
                var key = Keys[random.Next(Keys.Length)];
                query.Append(query.Length > 0 ? "&" : "").Append(Uri.EscapeDataString(key)).Append('=');
                if (random.Next(2) == 0 && Valid.TryGetValue(key, out var valid))
                {
                    // A well-formed value, sometimes with a random token appended.
                    query.Append(Uri.EscapeDataString(valid[random.Next(valid.Length)]));
                    if (random.Next(3) != 0)
                    {
                        continue;
                    }
                }
                for (var t = random.Next(1, 7); t > 0; t--)
                {
                    var token = Tokens[random.Next(Tokens.Length)];
                    query.Append(token.StartsWith('%') ? token : Uri.EscapeDataString(token));
                }
            }
            var method = methods[random.Next(methods.Length)];
            var headers = new Dictionary<string, string>();
            if (random.Next(3) == 0)
            {
                headers["Range"] = $"{random.Next(-2, 5)}-{random.Next(-2, 5)}";
            }
            if (random.Next(3) == 0)
            {
                headers["Prefer"] = random.Next(2) == 0 ? "count=exact,return=representation" : "return=minimal";
            }
            // Updates only touch a harmless column, and filters are always narrowed to a missing id.
            var body = method == HttpMethod.Patch ? """{"is_active":false}""" : null;
            var path = "/rest/v1/ai_chat_sessions?" + query + (method == HttpMethod.Get || method == HttpMethod.Head ? "" : "&id=eq.00000000-0000-0000-0000-000000000000");
            var reply = await _api.SendAsync(method, path, user.AccessToken, body, headers);
            statuses[reply.Status] = statuses.GetValueOrDefault(reply.Status) + 1;
            Assert.True(reply.Status < 500, $"{method} {path} -> {reply}");
        }
        output.WriteLine(string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.True(statuses.Keys.Count > 1, "the fuzzer reached more than one outcome");
        var still = await _api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title", user.AccessToken);
        Assert.Equal("""[{"title":"keep me"}]""", still.Body);
    }
}
