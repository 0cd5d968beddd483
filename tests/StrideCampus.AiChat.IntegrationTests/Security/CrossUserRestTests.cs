using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.IntegrationTests.Client;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.Security;

/// <summary>
/// User B tries every REST operation on user A's rows, through the SDK's PostgREST client and raw HTTP:
/// each attempt reads nothing and changes nothing, and A's rows read back identical afterwards.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class CrossUserRestTests(LocalStackFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly HttpClient _http = new();
    private readonly StackHttp _raw = new(fixture.Stack);
    private int _refused;

    public void Dispose()
    {
        _http.Dispose();
        _raw.Dispose();
    }

    [Fact]
    public async Task User_B_never_reads_or_changes_user_A_rows_through_the_sdk_or_raw_http()
    {
        await using var a = await ClientUser.SignUpAsync(_http, fixture.Stack, "sec-a");
        await using var b = await ClientUser.SignUpAsync(_http, fixture.Stack, "sec-b");
        var aSession = await a.CreateSessionAsync("A secret session", active: true);
        var aMessage = await a.Messages.InsertAsync(new TestMessage { Id = Guid.NewGuid(), SessionId = aSession.Id, Content = "A secret message" });
        var bSession = await b.CreateSessionAsync("B own session");
        var bMessage = await b.Messages.InsertAsync(new TestMessage { Id = Guid.NewGuid(), SessionId = bSession.Id, Content = "B own message" });
        var before = await DumpAsAsync(a);
        var beforeSql = await DumpAsSuperuserAsync(a.Id);

        // ---------------------------------------------------------------- SDK: reads
        Zero(await b.Sessions.Eq("id", aSession.Id.ToString()).GetAsync(), "select session by id");
        Zero((await b.Sessions.GetAsync()).Where(s => s.UserId == a.Id).ToList(), "select all sessions");
        Zero(await b.Sessions.Eq("user_id", a.Id.ToString()).GetAsync(), "select sessions by A's user id");
        Assert.Equal(0, (await b.Sessions.Eq("user_id", a.Id.ToString()).GetWithCountAsync()).TotalCount);
        Count("exact count of A's sessions");
        Zero(await b.Sessions.Select("*,ai_chat_messages(*)").Or($"id.eq.{aSession.Id},title.eq.\"{aSession.Title}\"").GetAsync(), "select with embedding and or()");
        Zero(await b.Messages.Eq("session_id", aSession.Id.ToString()).GetAsync(), "select messages of A's session");
        Zero((await b.Messages.GetAsync()).Where(m => m.UserId == a.Id).ToList(), "select all messages");
        Assert.Null(await b.Messages.Eq("id", aMessage.Id.ToString()).MaybeSingleAsync());
        Count("maybeSingle A's message");

        // ---------------------------------------------------------------- SDK: writes
        Zero(await b.Sessions.Eq("id", aSession.Id.ToString()).UpdateAsync(new JsonObject { ["title"] = "pwned" }), "update A's session");
        Zero(await b.Sessions.Eq("user_id", a.Id.ToString()).UpdateAsync(new JsonObject { ["is_active"] = false }), "update A's sessions by user id");
        Zero(await b.Messages.Eq("id", aMessage.Id.ToString()).UpdateAsync(new JsonObject { ["content"] = "pwned" }), "update A's message");
        Zero(await b.Messages.Eq("session_id", aSession.Id.ToString()).DeleteAsync(), "delete A's messages");
        Zero(await b.Sessions.Eq("id", aSession.Id.ToString()).DeleteAsync(), "delete A's session");
        await RlsViolationAsync(() => b.Sessions.InsertAsync(new TestSession { Id = Guid.NewGuid(), UserId = a.Id, Title = "planted" }), "insert a session owned by A");
        await RlsViolationAsync(() => b.Messages.InsertAsync(new TestMessage { Id = Guid.NewGuid(), SessionId = aSession.Id, Content = "planted" }), "insert a message into A's session");
        await RlsViolationAsync(() => b.Messages.InsertAsync(new TestMessage { Id = Guid.NewGuid(), SessionId = aSession.Id, UserId = a.Id, Content = "planted" }), "insert a message as A into A's session");
        await RlsViolationAsync(() => b.Sessions.UpsertAsync([aSession with { Title = "pwned", UserId = default, CreatedAt = default, UpdatedAt = default }]), "upsert over A's session");
        await RlsViolationAsync(() => b.Messages.UpsertAsync([aMessage with { Content = "pwned", UserId = default, CreatedAt = default, UpdatedAt = default }]), "upsert over A's message");
        Zero(await b.Sessions.UpsertAsync([aSession with { Title = "pwned", UserId = default, CreatedAt = default, UpdatedAt = default }], ignoreDuplicates: true), "upsert ignore-duplicates over A's session");
        await RlsViolationAsync(() => b.Messages.Eq("id", bMessage.Id.ToString()).UpdateAsync(new JsonObject { ["session_id"] = aSession.Id.ToString() }), "move B's message into A's session");
        await RlsViolationAsync(() => b.Sessions.Eq("id", bSession.Id.ToString()).UpdateAsync(new JsonObject { ["user_id"] = a.Id.ToString() }), "give B's session to A");
        var rpc = await Assert.ThrowsAsync<PostgrestException>(() =>
            b.Rest.RpcAsync("ai_chat_set_active_session", new JsonObject { ["p_session_id"] = aSession.Id.ToString() }, ClientTestJsonContext.Default.ListTestSession));
        Assert.Equal("P0002", rpc.ErrorCode);
        Count("rpc activating A's session");

        // ---------------------------------------------------------------- raw HTTP with B's token
        var t = b.Session.AccessToken;
        var s = aSession.Id;
        var m = aMessage.Id;
        await RawZeroAsync(HttpMethod.Get, $"/rest/v1/ai_chat_sessions?id=eq.{s}", t, null, "GET A's session");
        await RawZeroAsync(HttpMethod.Get, $"/rest/v1/ai_chat_sessions?user_id=eq.{a.Id}&select=*,ai_chat_messages(*)", t, null, "GET A's sessions with messages");
        await RawZeroAsync(HttpMethod.Get, $"/rest/v1/ai_chat_messages?session_id=eq.{s}", t, null, "GET A's messages");
        await RawZeroAsync(HttpMethod.Get, $"/rest/v1/ai_chat_messages?or=(id.eq.{m},content.like.*secret*)", t, null, "GET A's message via or()");
        await RawZeroAsync(new HttpMethod("PATCH"), $"/rest/v1/ai_chat_sessions?id=eq.{s}", t, """{"title":"pwned"}""", "PATCH A's session");
        await RawZeroAsync(new HttpMethod("PATCH"), $"/rest/v1/ai_chat_messages?id=eq.{m}", t, """{"content":"pwned"}""", "PATCH A's message");
        await RawZeroAsync(HttpMethod.Delete, $"/rest/v1/ai_chat_messages?id=eq.{m}", t, null, "DELETE A's message");
        await RawZeroAsync(HttpMethod.Delete, $"/rest/v1/ai_chat_sessions?user_id=eq.{a.Id}", t, null, "DELETE A's sessions");
        await RawRefusedAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", t, $$"""{"user_id":"{{a.Id}}","title":"planted"}""", 403, "42501", "POST a session owned by A");
        await RawRefusedAsync(HttpMethod.Post, "/rest/v1/ai_chat_messages", t, $$"""{"session_id":"{{s}}","content":"planted"}""", 403, "42501", "POST a message into A's session");
        await RawRefusedAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions?on_conflict=id", t, $$"""{"id":"{{s}}","title":"pwned"}""", 403, "42501", "upsert (merge-duplicates) over A's session",
            new Dictionary<string, string> { ["Prefer"] = "resolution=merge-duplicates,return=representation" });
        await RawRefusedAsync(HttpMethod.Post, "/rest/v1/ai_chat_messages?on_conflict=id", t, $$"""{"id":"{{m}}","session_id":"{{s}}","content":"pwned"}""", 403, "42501", "upsert (merge-duplicates) over A's message",
            new Dictionary<string, string> { ["Prefer"] = "resolution=merge-duplicates,return=representation" });
        await RawRefusedAsync(HttpMethod.Post, "/rest/v1/rpc/ai_chat_set_active_session", t, $$"""{"p_session_id":"{{s}}"}""", null, "P0002", "rpc activating A's session");
        await RawRefusedAsync(new HttpMethod("PATCH"), $"/rest/v1/ai_chat_messages?id=eq.{bMessage.Id}", t, $$"""{"session_id":"{{s}}"}""", 403, "42501", "PATCH B's message into A's session");

        // ---------------------------------------------------------------- A's rows are exactly as before
        Assert.Equal(before, await DumpAsAsync(a));
        Assert.Equal(beforeSql, await DumpAsSuperuserAsync(a.Id));
        Assert.Contains("A secret message", before, StringComparison.Ordinal);
        output.WriteLine($"cross-user attempts refused: {_refused}");
        Assert.True(_refused >= 30, $"{_refused} attempts");
    }

    private void Count(string what)
    {
        _refused++;
        output.WriteLine($"refused: {what}");
    }

    private void Zero<T>(IReadOnlyList<T> rows, string what)
    {
        Assert.True(rows.Count == 0, $"{what}: B got {rows.Count} rows");
        Count(what);
    }

    private async Task RlsViolationAsync(Func<Task> attempt, string what)
    {
        var e = await Assert.ThrowsAsync<PostgrestException>(attempt);
        Assert.True(e.Status == 403 && e.ErrorCode == "42501", $"{what}: {e.Status} {e.ErrorCode} {e.Message}");
        Count(what);
    }

    private async Task RawZeroAsync(HttpMethod method, string path, string token, string? body, string what)
    {
        var reply = await _raw.SendAsync(method, path, token, body, new Dictionary<string, string> { ["Prefer"] = "return=representation" });
        Assert.True(reply.Status is 200 or 204 && (reply.Body.Length == 0 || reply.Json.GetArrayLength() == 0), $"{what}: {reply}");
        Count("raw " + what);
    }

    private async Task RawRefusedAsync(HttpMethod method, string path, string token, string body, int? status, string code, string what, Dictionary<string, string>? headers = null)
    {
        var reply = await _raw.SendAsync(method, path, token, body, headers);
        Assert.True((status is null ? reply.Status >= 400 : reply.Status == status) && reply.Json.GetProperty("code").GetString() == code, $"{what}: {reply}");
        Count("raw " + what);
    }

    private static async Task<string> DumpAsAsync(ClientUser user)
    {
        var rows = await user.Sessions.Select("*,ai_chat_messages(*)").Order("id").GetAsync();
        return string.Join("\n", rows.Select(r => $"{r.Id}|{r.UserId}|{r.Title}|{r.IsActive}|{r.UpdatedAt:O}" +
            string.Concat((r.Messages ?? []).OrderBy(x => x.Id).Select(x => $"\n  {x.Id}|{x.UserId}|{x.Content}|{x.Status}|{x.UpdatedAt:O}"))));
    }

    private Task<string> DumpAsSuperuserAsync(Guid user) => RealtimeTestData.ScalarAsync<string>(
        fixture.Stack,
        """
        select coalesce(string_agg(x, E'\n' order by x), '') from (
          select s.id || '|' || s.title || '|' || s.is_active || '|' || s.updated_at as x from public.ai_chat_sessions s where s.user_id = $1
          union all
          select m.id || '|' || m.session_id || '|' || m.content || '|' || m.updated_at from public.ai_chat_messages m where m.user_id = $1) q
        """,
        user);
}
