using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Client;

/// <summary>The SDK's auth session and PostgREST client against LocalStack's /auth/v1 and /rest/v1, as two users.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class SupabaseClientsTests(LocalStackFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private readonly List<ClientUser> _users = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var user in _users)
        {
            await user.DisposeAsync();
        }

        _http.Dispose();
    }

    private async Task<ClientUser> UserAsync(string name)
    {
        var user = await ClientUser.SignUpAsync(_http, fixture.Stack, name);
        _users.Add(user);
        return user;
    }

    private PostgrestClient AnonymousRest() =>
        new(_http, new PostgrestClientOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey });

    // ---- auth ----

    [Fact]
    public async Task Sign_up_sign_in_user_and_sign_out()
    {
        var a = await UserAsync("a");
        Assert.NotEqual(Guid.Empty, a.Id);
        Assert.Equal(a.Email, a.Session.User.Email);
        Assert.True(a.Session.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(30));

        var user = await a.Auth.GetUserAsync();
        Assert.Equal(a.Id, user.Id);

        await using var second = new SupabaseAuthClient(_http, new SupabaseAuthOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey });
        var session = await second.SignInWithPasswordAsync(a.Email, a.Password);
        Assert.Equal(a.Id, session.User.Id);

        await second.SignOutAsync();
        Assert.Null(second.CurrentSession);
        Assert.Null(await second.GetAccessTokenAsync());
    }

    [Fact]
    public async Task GoTrue_errors_become_auth_exceptions()
    {
        var a = await UserAsync("a");
        await using var auth = new SupabaseAuthClient(_http, new SupabaseAuthOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey });

        var wrong = await Assert.ThrowsAsync<AuthException>(() => auth.SignInWithPasswordAsync(a.Email, "wrong-password"));
        Assert.Equal((400, "invalid_credentials"), (wrong.Status, wrong.ErrorCode));

        var duplicate = await Assert.ThrowsAsync<AuthException>(() => auth.SignUpAsync(a.Email, "another-password"));
        Assert.Equal((422, "user_already_exists"), (duplicate.Status, duplicate.ErrorCode));

        var weak = await Assert.ThrowsAsync<AuthException>(() => auth.SignUpAsync($"weak-{Guid.NewGuid():N}@example.com", "123"));
        Assert.Equal((422, "weak_password"), (weak.Status, weak.ErrorCode));
        Assert.Null(auth.CurrentSession);
    }

    [Fact]
    public async Task Refresh_rotates_the_tokens_and_a_copy_replaying_the_spent_token_gets_the_active_one()
    {
        var a = await UserAsync("a");
        var first = a.Auth.CurrentSession!;
        var refreshed = await a.Auth.RefreshSessionAsync();
        Assert.NotEqual(first.RefreshToken, refreshed.RefreshToken);
        Assert.Equal(a.Id, refreshed.User.Id);

        // REST works with the new token.
        var created = await a.CreateSessionAsync("after refresh");
        Assert.Equal(a.Id, created.UserId);

        // A copy that replays the spent token (within GoTrue's 10 s reuse interval) gets the session's active token,
        // as on a Supabase project (supabase/auth internal/tokens/service.go); later replays are refused (AuthLimitsTests).
        await using var stale = new SupabaseAuthClient(_http, new SupabaseAuthOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey });
        stale.SetSession(first);
        var replayed = await stale.RefreshSessionAsync();
        Assert.Equal(refreshed.RefreshToken, replayed.RefreshToken);
        Assert.Equal(a.Id, replayed.User.Id);
    }

    [Fact]
    public async Task Concurrent_refreshes_use_the_single_use_refresh_token_once()
    {
        var a = await UserAsync("a");
        // GoTrue's answer is held for a second, so the eight calls surely overlap the one refresh in flight (on a loaded
        // machine a call made after the first refresh had ended rightly refreshed again, with the new token).
        using var held = new HeldRefreshHandler(TimeSpan.FromSeconds(1)) { InnerHandler = new SocketsHttpHandler() };
        using var http = new HttpClient(held, disposeHandler: false);
        await using var auth = new SupabaseAuthClient(http, new SupabaseAuthOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey });
        auth.SetSession(a.Auth.CurrentSession!);

        var sessions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => auth.RefreshSessionAsync()));

        Assert.Equal(1, held.Refreshes);
        Assert.Single(sessions.Select(s => s.RefreshToken).Distinct());
        Assert.NotNull(auth.CurrentSession);
        // The rotated session keeps working.
        Assert.NotNull(await auth.RefreshSessionAsync());
        Assert.Equal(2, held.Refreshes);
    }

    /// <summary>Counts GoTrue refresh requests and holds each answer for a while.</summary>
    private sealed class HeldRefreshHandler(TimeSpan hold) : DelegatingHandler
    {
        private int _refreshes;

        public int Refreshes => Volatile.Read(ref _refreshes);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri?.Query.Contains("grant_type=refresh_token", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref _refreshes);
                await Task.Delay(hold, cancellationToken);
            }

            return response;
        }
    }

    [Fact]
    public async Task An_expired_access_token_is_refreshed_and_the_request_repeated()
    {
        var a = await UserAsync("a");
        await a.CreateSessionAsync("visible");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var expired = fixture.Stack.Jwt.Create(new Dictionary<string, object>
        {
            ["sub"] = a.Id.ToString(),
            ["role"] = "authenticated",
            ["aud"] = "authenticated",
            ["email"] = a.Email,
            ["iat"] = now - 7200,
            ["exp"] = now - 3600,
        });
        var current = a.Auth.CurrentSession!;
        // The client believes the token is valid (as with a skewed clock); the server knows better.
        a.Auth.SetSession(current with { AccessToken = expired, ExpiresAt = DateTimeOffset.UtcNow.AddHours(1) });

        var rows = await a.Sessions.GetAsync();

        Assert.Equal("visible", Assert.Single(rows).Title);
        Assert.NotEqual(expired, a.Auth.CurrentSession!.AccessToken);
        Assert.NotEqual(current.RefreshToken, a.Auth.CurrentSession.RefreshToken);
    }

    [Fact]
    public async Task The_refresh_timer_rotates_the_session_before_expiry_and_announces_the_token()
    {
        var a = await UserAsync("a");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var auth = new SupabaseAuthClient(
            _http,
            new SupabaseAuthOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey, RefreshMargin = TimeSpan.FromMinutes(5), TimeProvider = time });
        var first = await auth.SignInWithPasswordAsync(a.Email, a.Password);
        var tokens = new List<string?>();
        using var subscription = auth.AccessTokenChanged.Subscribe(t =>
        {
            lock (tokens)
            {
                tokens.Add(t);
            }
        });

        // JWTs carry iat/exp in whole seconds: a refresh within the same second may issue the very same
        // access token, which AccessTokenChanged rightly does not repeat.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        time.Advance(first.ExpiresAt - time.GetUtcNow() - TimeSpan.FromMinutes(5));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            lock (tokens)
            {
                if (tokens.Count >= 2)
                {
                    break;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "The timer did not refresh the session.");
            await Task.Delay(20);
        }

        Assert.NotEqual(first.RefreshToken, auth.CurrentSession!.RefreshToken);
        lock (tokens)
        {
            Assert.Equal(2, tokens.Count);
            Assert.Equal(first.AccessToken, tokens[0]);
            Assert.Equal(auth.CurrentSession!.AccessToken, tokens[1]);
        }

        // The rotated session works for REST.
        var rest = new PostgrestClient(_http, new PostgrestClientOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey }, auth);
        Assert.NotNull(await rest.From("ai_chat_sessions", ClientTestJsonContext.Default.TestSession).GetAsync());
    }

    [Fact]
    public async Task Sign_out_revokes_the_refresh_token()
    {
        var a = await UserAsync("a");
        var session = a.Auth.CurrentSession!;
        await a.Auth.SignOutAsync();
        Assert.Null(a.Auth.CurrentSession);

        await using var replay = new SupabaseAuthClient(_http, new SupabaseAuthOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey });
        replay.SetSession(session);
        var ex = await Assert.ThrowsAsync<AuthException>(() => replay.RefreshSessionAsync());
        Assert.InRange(ex.Status, 400, 499);
    }

    // ---- REST CRUD ----

    [Fact]
    public async Task Bulk_insert_of_rows_with_different_keys_gives_missing_columns_their_defaults()
    {
        var a = await UserAsync("a");
        var session = await a.CreateSessionAsync("shapes");
        var rows = await a.Messages.InsertAsync(
        [
            new TestMessage { Id = Guid.NewGuid(), SessionId = session.Id, Content = "no metadata" },
            new TestMessage { Id = Guid.NewGuid(), SessionId = session.Id, Content = "with metadata", Metadata = new JsonObject { ["k"] = "v" } },
        ]);
        Assert.Equal(2, rows.Count);
        var plain = rows.Single(r => r.Content == "no metadata");
        Assert.NotNull(plain.Metadata);
        Assert.Empty(plain.Metadata);
        Assert.Equal("v", rows.Single(r => r.Content == "with metadata").Metadata!["k"]!.GetValue<string>());
    }

    [Fact]
    public async Task Crud_on_sessions_and_messages_with_embedding_and_counts()
    {
        var a = await UserAsync("a");
        var session = await a.CreateSessionAsync("First chat");
        Assert.Equal(a.Id, session.UserId);
        Assert.False(session.IsActive);
        Assert.NotEqual(default, session.CreatedAt);

        var messages = await a.Messages.InsertAsync(
        [
            new TestMessage { Id = Guid.NewGuid(), SessionId = session.Id, Content = "Hello", IsUser = true },
            new TestMessage { Id = Guid.NewGuid(), SessionId = session.Id, Content = "Hi! How can I help?", IsUser = false, Metadata = new JsonObject { ["model"] = "test" } },
        ]);
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal(a.Id, m.UserId));
        Assert.Equal("test", messages[1].Metadata!["model"]!.GetValue<string>());

        var loaded = await a.Sessions.Select("*, ai_chat_messages(*)").Eq("id", session.Id.ToString()).SingleAsync();
        Assert.Equal("First chat", loaded.Title);
        Assert.Equal(
            ["Hello", "Hi! How can I help?"],
            loaded.Messages!.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).Select(m => m.Content).ToArray());

        var ordered = await a.Messages.Eq("session_id", session.Id.ToString()).Order("created_at", ascending: false).Order("id").Limit(1).GetAsync();
        Assert.Equal("Hi! How can I help?", Assert.Single(ordered).Content);

        var page = await a.Messages.Eq("session_id", session.Id.ToString()).Range(0, 0).GetWithCountAsync();
        Assert.Single(page.Items);
        Assert.Equal(2, page.TotalCount);
        Assert.Equal(2, await a.Messages.Eq("session_id", session.Id.ToString()).CountAsync());

        var renamed = await a.Sessions.Eq("id", session.Id.ToString()).UpdateAsync(new JsonObject { ["title"] = "Renamed" });
        Assert.Equal("Renamed", Assert.Single(renamed).Title);
        Assert.True(renamed[0].UpdatedAt >= session.UpdatedAt);

        var streaming = await a.Messages.Eq("id", messages[1].Id.ToString()).UpdateAsync(new JsonObject { ["status"] = "streaming", ["content"] = "Hi! How" });
        Assert.Equal("streaming", Assert.Single(streaming).Status);

        var deleted = await a.Messages.Eq("id", messages[0].Id.ToString()).DeleteAsync();
        Assert.Equal(messages[0].Id, Assert.Single(deleted).Id);

        // Deleting the session cascades to its messages.
        Assert.Single(await a.Sessions.Eq("id", session.Id.ToString()).DeleteAsync());
        Assert.Equal(0, await a.Messages.Eq("session_id", session.Id.ToString()).CountAsync());
        Assert.Null(await a.Sessions.Eq("id", session.Id.ToString()).MaybeSingleAsync());
    }

    [Fact]
    public async Task Filters_select_the_expected_rows()
    {
        var a = await UserAsync("a");
        var session = await a.CreateSessionAsync("filters");
        string[] contents = ["alpha", "beta, with comma", "Gamma (paren)", "delta \"quoted\""];
        var statuses = new[] { "complete", "pending", "error", "streaming" };
        var inserted = await a.Messages.InsertAsync(contents.Select((c, i) => new TestMessage
        {
            Id = Guid.NewGuid(),
            SessionId = session.Id,
            Content = c,
            Status = statuses[i],
            IsUser = i % 2 == 0,
        }));
        var inSession = a.Messages.Eq("session_id", session.Id.ToString());

        static string[] Contents(IReadOnlyList<TestMessage> rows) => rows.Select(r => r.Content).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["Gamma (paren)", "beta, with comma", "delta \"quoted\""], Contents(await inSession.In("content", ["beta, with comma", "Gamma (paren)", "delta \"quoted\""]).GetAsync()));
        Assert.Equal(["alpha", "beta, with comma"], Contents(await inSession.Or("status.eq.complete,status.eq.pending").GetAsync()));
        Assert.Equal(["Gamma (paren)"], Contents(await inSession.ILike("content", "gamma%").GetAsync()));
        Assert.Empty(await inSession.Like("content", "gamma%").GetAsync());
        Assert.Equal(["alpha", "beta, with comma", "delta \"quoted\""], Contents(await inSession.Neq("status", "error").GetAsync()));
        Assert.Equal(["Gamma (paren)", "alpha"], Contents(await inSession.Is("is_user", "true").GetAsync()));
        Assert.Equal(["delta \"quoted\""], Contents(await inSession.Eq("content", "delta \"quoted\"").GetAsync()));
        Assert.Empty(await inSession.Is("metadata", null).GetAsync());
        Assert.Equal(4, (await inSession.Gte("created_at", inserted.Min(m => m.CreatedAt).ToString("O")).GetAsync()).Count);
        Assert.Empty(await inSession.Lt("created_at", inserted.Min(m => m.CreatedAt).ToString("O")).GetAsync());
    }

    [Fact]
    public async Task Upsert_merges_or_ignores_duplicates()
    {
        var a = await UserAsync("a");
        var session = await a.CreateSessionAsync("upsert");
        var message = new TestMessage { Id = Guid.NewGuid(), SessionId = session.Id, Content = "v1" };
        Assert.Equal("v1", Assert.Single(await a.Messages.UpsertAsync([message])).Content);
        Assert.Equal("v2", Assert.Single(await a.Messages.UpsertAsync([message with { Content = "v2" }], onConflict: "id")).Content);
        Assert.Empty(await a.Messages.UpsertAsync([message with { Content = "v3" }], ignoreDuplicates: true));
        var stored = await a.Messages.Eq("id", message.Id.ToString()).SingleAsync();
        Assert.Equal("v2", stored.Content);
        Assert.Equal(1, await a.Messages.Eq("session_id", session.Id.ToString()).CountAsync());
    }

    [Fact]
    public async Task Rpc_makes_exactly_one_session_active()
    {
        var a = await UserAsync("a");
        var first = await a.CreateSessionAsync("one", active: true);
        var second = await a.CreateSessionAsync("two");

        var result = await a.Rest.RpcAsync(
            "ai_chat_set_active_session",
            new JsonObject { ["p_session_id"] = second.Id.ToString() },
            ClientTestJsonContext.Default.ListTestSession);

        var active = Assert.Single(result);
        Assert.Equal(second.Id, active.Id);
        Assert.True(active.IsActive);
        var all = await a.Sessions.Order("created_at").GetAsync();
        Assert.Equal([second.Id], all.Where(s => s.IsActive).Select(s => s.Id).ToArray());
        Assert.Contains(all, s => s.Id == first.Id && !s.IsActive);
    }

    // ---- REST errors ----

    [Fact]
    public async Task Rest_errors_become_postgrest_exceptions()
    {
        var a = await UserAsync("a");
        var session = await a.CreateSessionAsync("errors");

        var none = await Assert.ThrowsAsync<PostgrestException>(() => a.Sessions.Eq("id", Guid.NewGuid().ToString()).SingleAsync());
        Assert.Equal((406, "PGRST116"), (none.Status, none.ErrorCode));

        var duplicate = await Assert.ThrowsAsync<PostgrestException>(() => a.Sessions.InsertAsync(session with { Title = "again" }));
        Assert.Equal((409, "23505"), (duplicate.Status, duplicate.ErrorCode));

        var check = await Assert.ThrowsAsync<PostgrestException>(() => a.Messages.InsertAsync(new TestMessage { Id = Guid.NewGuid(), SessionId = session.Id, Status = "bogus" }));
        Assert.Equal((400, "23514"), (check.Status, check.ErrorCode));

        var missingTable = await Assert.ThrowsAsync<PostgrestException>(() => a.Rest.From("no_such_table", ClientTestJsonContext.Default.TestSession).GetAsync());
        Assert.Equal(404, missingTable.Status);
        Assert.StartsWith("PGRST", missingTable.ErrorCode, StringComparison.Ordinal);

        var badFilter = await Assert.ThrowsAsync<PostgrestException>(() => a.Sessions.Filter("id", "nope", "1").GetAsync());
        Assert.Equal(400, badFilter.Status);
        Assert.NotNull(badFilter.ErrorCode);

        var anonymous = await Assert.ThrowsAsync<PostgrestException>(() =>
            AnonymousRest().From("ai_chat_sessions", ClientTestJsonContext.Default.TestSession).InsertAsync(new TestSession { Id = Guid.NewGuid(), Title = "anon" }));
        Assert.Equal((401, "42501"), (anonymous.Status, anonymous.ErrorCode));
    }

    // ---- RLS isolation ----

    [Fact]
    public async Task User_b_never_reads_or_changes_user_a_rows()
    {
        var a = await UserAsync("a");
        var b = await UserAsync("b");
        var session = await a.CreateSessionAsync("A's secret chat", active: true);
        var message = await a.Messages.InsertAsync(new TestMessage { Id = Guid.NewGuid(), SessionId = session.Id, Content = "A's secret" });
        var id = session.Id.ToString();

        Assert.Empty(await b.Sessions.GetAsync());
        Assert.Empty(await b.Messages.GetAsync());
        Assert.Empty(await b.Sessions.Select("*,ai_chat_messages(*)").Eq("id", id).GetAsync());
        Assert.Equal(0, await b.Messages.Eq("session_id", id).CountAsync());
        Assert.Null(await b.Sessions.Eq("id", id).MaybeSingleAsync());

        Assert.Empty(await b.Sessions.Eq("id", id).UpdateAsync(new JsonObject { ["title"] = "pwned" }));
        Assert.Empty(await b.Messages.Eq("id", message.Id.ToString()).UpdateAsync(new JsonObject { ["content"] = "pwned" }));
        Assert.Empty(await b.Messages.Eq("id", message.Id.ToString()).DeleteAsync());
        Assert.Empty(await b.Sessions.Eq("id", id).DeleteAsync());

        var intoA = await Assert.ThrowsAsync<PostgrestException>(() =>
            b.Messages.InsertAsync(new TestMessage { Id = Guid.NewGuid(), SessionId = session.Id, Content = "intruder" }));
        Assert.Equal("42501", intoA.ErrorCode);
        Assert.Equal(403, intoA.Status);

        var sessionAsA = await Assert.ThrowsAsync<PostgrestException>(() =>
            b.Sessions.InsertAsync(new TestSession { Id = Guid.NewGuid(), UserId = a.Id, Title = "forged owner" }));
        Assert.Equal("42501", sessionAsA.ErrorCode);

        var rpc = await Assert.ThrowsAsync<PostgrestException>(() => b.Rest.RpcAsync(
            "ai_chat_set_active_session", new JsonObject { ["p_session_id"] = id }, ClientTestJsonContext.Default.ListTestSession));
        Assert.Equal("P0002", rpc.ErrorCode);

        // A still sees everything unchanged.
        var mine = await a.Sessions.Select("*,ai_chat_messages(*)").Eq("id", id).SingleAsync();
        Assert.Equal("A's secret chat", mine.Title);
        Assert.True(mine.IsActive);
        Assert.Equal("A's secret", Assert.Single(mine.Messages!).Content);
        Assert.Empty(await AnonymousRest().From("ai_chat_sessions", ClientTestJsonContext.Default.TestSession).GetAsync());
    }
}
