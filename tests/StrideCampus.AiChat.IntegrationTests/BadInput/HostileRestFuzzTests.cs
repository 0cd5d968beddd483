using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.BadInput;

/// <summary>
/// Seeded hostile requests against LocalStack's /rest/v1 (filters, column names, select and order strings,
/// operators, Prefer/Range/Accept headers, bodies): every answer is a 2xx or a 4xx PostgREST JSON error,
/// none hangs, and a canary user's rows and the schema are untouched. AICHAT_SOAK=1 runs 10x the cases.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class HostileRestFuzzTests(LocalStackFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly int[] Seeds = [9001, 424242, 20261125, 7];
    private static readonly int CasesPerSeed = Environment.GetEnvironmentVariable("AICHAT_SOAK") == "1" ? 5000 : 500;

    private static readonly string Long = new('a', 1500);
    private static readonly string[] Columns =
    [
        "id", "title", "user_id", "is_active", "created_at", "content", "session_id", "metadata", "status", "*", "x\"y", "ti tle", "title;drop table ai_chat_sessions",
        "1", "", "é", "😀", "title--", "title/*", "*/", "ai_chat_messages.content", "public.ai_chat_sessions", "pg_sleep(10)", "$1", "id::text", "title->>x", "metadata->'a'->>b",
        "metadata->>0", "select", "\"title\"", "\"ti\"\"tle\"", "(id)", "id)", "or", "and", "not", Long[..300], "\u202etitle", "TITLE", "pg_catalog.pg_user", "auth.users",
    ];
    private static readonly string[] Operators =
    [
        "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "in", "is", "isdistinct", "fts", "plfts", "phfts", "wfts", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj",
        "not.eq", "not.in", "not.is", "", "eq.eq", "sleep", "any", "eq(any)", "like(all)", "not.not.eq", "fts(english)", "fts(x'y)", "EQ", "=", "eq;", "--",
    ];
    private static readonly string[] Values =
    [
        "1", "'", "''", "\"", "\\", "'; drop table ai_chat_sessions; --", "1) or (1=1", "(1,2", "a,b)", "null", "true", "false", "%", "*", "\u0000", "😀", Long, "/* */", "--", "$$", "$1",
        "E'\\x00'", "pg_sleep(5)", "1;select pg_sleep(5)", "\u202e", "{a,b}", "[1,2]", "{\"a\":1}", "(\"a,b\")", "()", "(,)", "(null)", "00000000-0000-0000-0000-000000000000",
        "not-a-uuid", "-1", "1e309", "99999999999999999999999", "2026-13-45", "infinity", "NaN", "\t\r\n", "a\"b'c", "%27%3B", "x'||pg_sleep(5)||'", "\\'", "' or ''='",
    ];
    private static readonly string[] Prefers =
    [
        "return=representation", "return=minimal", "return=headers-only", "count=exact", "count=planned", "count=estimated", "resolution=merge-duplicates", "resolution=ignore-duplicates",
        "missing=default", "tx=rollback", "tx=commit", "handling=strict", "handling=lenient", "return=minimal; drop", "count=exact, count=exact", "garbage", "", "return=representation,count=exact,tx=rollback",
        "params=single-object", "max-affected=1", "timezone=Mars/Olympus",
    ];
    private static readonly string[] Ranges = ["0-9", "-1-5", "a-b", "9999999999999999999-1", "5-2", "0-", "-", "items=0-1", "0-0,2-3", "", "1-1"];
    private static readonly string[] Accepts =
    [
        "application/json", "application/vnd.pgrst.object+json", "application/vnd.pgrst.object", "text/csv", "application/octet-stream", "*/*", "garbage/garbage;q=x",
        "application/geo+json", "application/vnd.pgrst.plan+json", "text/plain", "application/json;q=0", ";;;", "application/vnd.pgrst.array+json;nulls=stripped",
    ];
    private static readonly string[] Tables =
    [
        "ai_chat_sessions", "ai_chat_sessions", "ai_chat_messages", "ai_chat_messages", "rpc/ai_chat_set_active_session", "rpc/pg_sleep", "rpc/version", "ai_chat_sessions;drop",
        "pg_user", "users", "..%2Fauth%2Fv1%2Fuser", "ai_chat_sessions%00", "\"ai_chat_sessions\"", "rpc/", "rpc/ai_chat_set_active_session;--",
    ];

    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = fixture.Stack.ApiUrl, Timeout = TimeSpan.FromSeconds(10) };
    private readonly StackHttp _api = new(fixture.Stack);

    public void Dispose()
    {
        _http.Dispose();
        _api.Dispose();
    }

    [Fact]
    public async Task Hostile_requests_get_2xx_or_4xx_json_errors_and_change_nothing_else()
    {
        var fuzzer = await _api.SignUpAsync("hostile");
        var canary = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        for (var i = 0; i < 3; i++)
        {
            var s = await RealtimeTestData.CreateSessionAsync(fixture.Stack, canary, $"canary {i}");
            await RealtimeTestData.ExecuteAsync(fixture.Stack, "insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, 'canary message')", s, canary);
        }
        var fuzzSession = await _api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", fuzzer.AccessToken, """{"title":"fuzzer own"}""");
        Assert.Equal(201, fuzzSession.Status);
        var before = await CanaryAsync(canary);
        var others = await OthersChecksumAsync(fuzzer.Id);

        var statuses = new ConcurrentDictionary<int, int>();
        var failures = new ConcurrentQueue<string>();
        var cases = Seeds.SelectMany(seed => Generate(seed, CasesPerSeed, fuzzer.AccessToken)).ToList();
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (c, ct) =>
        {
            var (status, body, error) = await SendAsync(c);
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var why = "";
            if (error is not null || !IsAcceptable(c, status, body, out why))
            {
                failures.Enqueue($"{c.Method} {c.Path} [{string.Join("; ", c.Headers.Select(h => h.Key + ": " + h.Value))}] body={Trim(c.Body)} -> {status} {Trim(body)} {error} {why}");
            }
        });
        sw.Stop();

        output.WriteLine($"{cases.Count} hostile requests in {sw.ElapsedMilliseconds} ms; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}x{s.Value}"))}");
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers, e.g.:\n" + string.Join("\n", failures.Take(8)));
        Assert.Equal(before, await CanaryAsync(canary));
        Assert.Equal(others, await OthersChecksumAsync(fuzzer.Id));
        // No query left running or waiting (a stuck pg_sleep, an open transaction) once the answers are in.
        var stuck = await RealtimeTestData.ScalarAsync<long>(fixture.Stack,
            "select count(*) from pg_stat_activity where pid <> pg_backend_pid() and backend_type = 'client backend' and state in ('active','idle in transaction') and query not ilike '%START_REPLICATION%' and now() - query_start > interval '2 seconds'");
        Assert.Equal(0L, stuck);
    }

    private sealed record Case(HttpMethod Method, string Path, string? Body, Dictionary<string, string> Headers, string Token);

    private static IEnumerable<Case> Generate(int seed, int count, string token)
    {
        var r = new Random(seed);
        T Pick<T>(T[] items) => items[r.Next(items.Length)];
        string Esc(string s) => Uri.EscapeDataString(s);
        HttpMethod[] methods = [HttpMethod.Get, HttpMethod.Get, HttpMethod.Get, HttpMethod.Head, HttpMethod.Post, HttpMethod.Patch, HttpMethod.Delete, HttpMethod.Put, HttpMethod.Options];

        string Select(int depth)
        {
            var items = new List<string>();
            for (var n = r.Next(1, 4); n > 0; n--)
            {
                items.Add(r.Next(7) switch
                {
                    0 when depth < 5 => $"{Pick(["ai_chat_messages", "ai_chat_sessions", "x", "ai_chat_messages!inner", "ai_chat_messages!ai_chat_messages_session_id_fkey", "m:ai_chat_messages", "(", ""])}({Select(depth + 1)})",
                    1 => $"{Pick(Columns)}:{Pick(Columns)}",
                    2 => $"{Pick(Columns)}::{Pick(["text", "int", "uuid", "json", "pg_sleep", "text;drop", "\"x\"", ""])}",
                    3 => Pick(["count()", "id.count()", "sum(id)", "max(title)", "(", ")", "))", "((", "'", "\"", ";", "--", "/*", "*/", ",", ",,", Long[..200]]),
                    _ => Pick(Columns),
                });
            }
            return string.Join(r.Next(10) == 0 ? Pick([";", " ", ",,", ")", "("]) : ",", items);
        }

        for (var i = 0; i < count; i++)
        {
            var method = Pick(methods);
            var query = new List<string>();
            for (var n = r.Next(0, 5); n > 0; n--)
            {
                switch (r.Next(8))
                {
                    case 0:
                        query.Add("select=" + Esc(Select(0)));
                        break;
                    case 1:
                        query.Add("order=" + Esc($"{Pick(Columns)}.{Pick(["asc", "desc", "nullsfirst", "nullslast", "desc.nullslast", "asc;", "x", ""])}" + (r.Next(3) == 0 ? "," + Pick(Columns) : "")));
                        break;
                    case 2:
                        query.Add(Esc(Pick(["or", "and", "not.or", "not.and", "ai_chat_messages.or"])) + "=" + Esc($"({Pick(Columns)}.{Pick(Operators)}.{Pick(Values)},{Pick(Columns)}.{Pick(Operators)}.{Pick(Values)}" + (r.Next(3) == 0 ? "" : ")")));
                        break;
                    case 3:
                        query.Add(Pick(["limit", "offset", "columns", "on_conflict", "apikey"]) + "=" + Esc(Pick(Values)));
                        break;
                    default:
                        var value = Pick(Operators) + "." + Pick(Values);
                        if (r.Next(4) == 0)
                        {
                            value = Pick(Operators) + ".(" + string.Join(",", Enumerable.Range(0, r.Next(1, 4)).Select(_ => Pick(Values))) + ")";
                        }
                        query.Add(Esc(Pick(Columns)) + "=" + (r.Next(15) == 0 ? value.Replace("%", "%25", StringComparison.Ordinal) : Esc(value)));
                        break;
                }
            }
            var table = Pick(Tables);
            // Writes are narrowed to the fuzzer's rows by RLS; keep most of them to a missing id so the run stays cheap.
            if (method != HttpMethod.Get && method != HttpMethod.Head && r.Next(4) != 0)
            {
                query.Add("id=eq.00000000-0000-0000-0000-000000000000");
            }
            var headers = new Dictionary<string, string>();
            if (r.Next(2) == 0)
            {
                headers["Prefer"] = string.Join(",", Enumerable.Range(0, r.Next(1, 3)).Select(_ => Pick(Prefers)));
            }
            if (r.Next(4) == 0)
            {
                headers["Range"] = Pick(Ranges);
            }
            if (r.Next(4) == 0)
            {
                headers["Range-Unit"] = Pick(["items", "bytes", "x"]);
            }
            if (r.Next(3) == 0)
            {
                headers["Accept"] = Pick(Accepts);
            }
            if (r.Next(8) == 0)
            {
                headers[Pick(["Accept-Profile", "Content-Profile"])] = Pick(["public", "auth", "pg_catalog", "x;drop", ""]);
            }
            string? body = null;
            if (method == HttpMethod.Post || method == HttpMethod.Patch || method == HttpMethod.Put)
            {
                body = r.Next(9) switch
                {
                    0 => "{",
                    1 => "[]",
                    2 => "null",
                    3 => JsonSerializer.Serialize(new Dictionary<string, string> { [Pick(Columns)] = Pick(Values) }),
                    4 => $$"""[{"title":{{JsonSerializer.Serialize(Pick(Values))}}},{"content":1}]""",
                    5 => $$"""{"title":{"nested":[1,2,{"x":null}]},"is_active":"yes"}""",
                    6 => $$"""{"p_session_id":{{JsonSerializer.Serialize(Pick(Values))}}}""",
                    7 => "\u0000garbage" + Pick(Values),
                    _ => $$"""{"title":{{JsonSerializer.Serialize(Pick(Values))}},"user_id":"00000000-0000-0000-0000-000000000001"}""",
                };
            }
            var path = "/rest/v1/" + table + (query.Count > 0 ? "?" + string.Join("&", query) : "");
            // A bearer value HttpClient can put on the wire (no control characters).
            var bearer = r.Next(10) == 0 ? Pick(Values) : token;
            yield return new Case(method, path, body, headers, bearer.Any(ch => char.IsControl(ch) || ch > 127) ? "x" + bearer.Length : bearer);
        }
    }

    private async Task<(int Status, string Body, string? Error)> SendAsync(Case c)
    {
        using var request = new HttpRequestMessage(c.Method, new Uri(c.Path, UriKind.Relative));
        request.Headers.TryAddWithoutValidation("apikey", fixture.Stack.AnonKey);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + c.Token);
        foreach (var (k, v) in c.Headers)
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }
        if (c.Body is not null)
        {
            request.Content = new StringContent(c.Body, Encoding.UTF8, "application/json");
        }
        try
        {
            using var response = await _http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, "", e.GetType().Name + ": " + e.Message);
        }
    }

    private static bool IsAcceptable(Case c, int status, string body, out string why)
    {
        why = "";
        if (status is >= 200 and < 300)
        {
            return true;
        }
        if (status is < 400 or >= 500)
        {
            why = "not a 2xx or 4xx";
            return false;
        }
        if (c.Method == HttpMethod.Head || status is (int)HttpStatusCode.RequestUriTooLong or (int)HttpStatusCode.RequestHeaderFieldsTooLarge)
        {
            return true; // no body by definition, or refused by the HTTP server before PostgREST
        }
        if (status == 400 && body.Length == 0 && (c.Path.Any(char.IsControl) || c.Path.Split('?')[0].Contains("%00", StringComparison.Ordinal)))
        {
            return true; // a raw control character or NUL in the request target: Kestrel refuses the request line itself
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("message", out var m) || m.ValueKind != JsonValueKind.String)
            {
                why = "no message";
                return false;
            }
            // The gateway's own refusals (401 without code) are Kong's shape; everything else is PostgREST's.
            if (!root.TryGetProperty("code", out _) && status != 401)
            {
                why = "no code";
                return false;
            }
            return true;
        }
        catch (JsonException)
        {
            why = "not JSON";
            return false;
        }
    }

    private static string Trim(string? s) => s is null ? "" : s.Length > 200 ? s[..200] + "…" : s;

    private Task<string> CanaryAsync(Guid canary) => RealtimeTestData.ScalarAsync<string>(fixture.Stack,
        """
        select count(*) || ':' || md5(coalesce(string_agg(x, ',' order by x), '')) from (
          select s.id || s.title || s.is_active || s.updated_at as x from ai_chat_sessions s where s.user_id = $1
          union all select m.id || m.content || m.updated_at from ai_chat_messages m where m.user_id = $1) q
        """, canary);

    private Task<string> OthersChecksumAsync(Guid fuzzer) => RealtimeTestData.ScalarAsync<string>(fixture.Stack,
        """
        select (select count(*) from ai_chat_sessions where user_id <> $1) || ':' || (select count(*) from ai_chat_messages where user_id <> $1)
          || ':' || (select count(*) from auth.users) || ':' || (select count(*) from pg_tables where schemaname in ('public','auth'))
          || ':' || (select count(*) from pg_policies where schemaname = 'public')
        """, fuzzer);
}
