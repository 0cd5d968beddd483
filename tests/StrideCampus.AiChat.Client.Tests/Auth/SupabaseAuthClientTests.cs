using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Tests.Http;

namespace StrideCampus.AiChat.Client.Tests.Auth;

public sealed class SupabaseAuthClientTests : IAsyncLifetime
{
    private const string ApiKey = "anon-key-secret";
    private static readonly Guid UserId = Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301");

    private readonly ScriptedHttpHandler _handler = new();
    private readonly HttpClient _http;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly CapturingLogger<SupabaseAuthClient> _logger = new();
    private readonly List<SupabaseAuthClient> _clients = [];

    public SupabaseAuthClientTests() => _http = new HttpClient(_handler);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _http.Dispose();
        _handler.Dispose();
    }

    private SupabaseAuthClient Client(bool autoRefresh = true, TimeSpan? margin = null)
    {
        var client = new SupabaseAuthClient(
            _http,
            new SupabaseAuthOptions
            {
                Url = new Uri("http://localhost:54321/"),
                ApiKey = ApiKey,
                AutoRefresh = autoRefresh,
                RefreshMargin = margin ?? TimeSpan.FromSeconds(60),
                RefreshRetryDelay = TimeSpan.FromSeconds(5),
                TimeProvider = _time,
            },
            _logger);
        _clients.Add(client);
        return client;
    }

    private static string SessionJson(string access, string refresh, long expiresIn = 3600) =>
        $$$"""{"access_token":"{{{access}}}","token_type":"bearer","expires_in":{{{expiresIn}}},"expires_at":1767272400,"refresh_token":"{{{refresh}}}","user":{"id":"{{{UserId}}}","aud":"authenticated","role":"authenticated","email":"a@example.com"}}""";

    private async Task<SupabaseAuthClient> SignedInAsync(bool autoRefresh = true, long expiresIn = 3600, TimeSpan? margin = null)
    {
        var client = Client(autoRefresh, margin);
        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-1", "refresh-1", expiresIn));
        await client.SignInWithPasswordAsync("a@example.com", "password-1");
        return client;
    }

    private static string? RefreshTokenOf(RecordedRequest request) =>
        JsonDocument.Parse(request.Body!).RootElement.GetProperty("refresh_token").GetString();

    // ---- sign-up, sign-in ----

    [Fact]
    public async Task Sign_in_posts_the_password_grant_and_installs_the_session()
    {
        var client = Client();
        var sessions = new List<AuthSession?>();
        var tokens = new List<string?>();
        using var s1 = client.SessionChanged.Subscribe(sessions.Add);
        using var s2 = client.AccessTokenChanged.Subscribe(tokens.Add);
        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-1", "refresh-1"));

        var session = await client.SignInWithPasswordAsync("a@example.com", "password-1");

        var request = Assert.Single(_handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/auth/v1/token?grant_type=password", request.PathAndQuery);
        Assert.Equal(ApiKey, request.Header("apikey"));
        Assert.Equal("Bearer " + ApiKey, request.Header("Authorization"));
        using var body = JsonDocument.Parse(request.Body!);
        Assert.Equal("a@example.com", body.RootElement.GetProperty("email").GetString());
        Assert.Equal("password-1", body.RootElement.GetProperty("password").GetString());

        Assert.Equal("access-1", session.AccessToken);
        Assert.Equal("refresh-1", session.RefreshToken);
        Assert.Equal(new AuthUser(UserId, "a@example.com"), session.User);
        Assert.Equal(_time.GetUtcNow().AddHours(1), session.ExpiresAt);
        Assert.Same(session, client.CurrentSession);
        Assert.Equal([null, session], sessions);
        Assert.Equal([null, "access-1"], tokens);
        Assert.Equal("access-1", await client.GetAccessTokenAsync());
    }

    [Fact]
    public async Task Observables_replay_the_current_session_to_new_subscribers()
    {
        var client = await SignedInAsync();
        AuthSession? seen = null;
        string? token = null;
        using var s1 = client.SessionChanged.Subscribe(s => seen = s);
        using var s2 = client.AccessTokenChanged.Subscribe(t => token = t);
        Assert.Equal("access-1", seen!.AccessToken);
        Assert.Equal("access-1", token);
    }

    [Fact]
    public async Task Sign_up_posts_to_signup_and_returns_the_session()
    {
        var client = Client();
        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-1", "refresh-1"));
        var session = await client.SignUpAsync("a@example.com", "password-1");
        Assert.Equal("/auth/v1/signup", _handler.Requests[0].PathAndQuery);
        Assert.Equal("access-1", session.AccessToken);
        Assert.Same(session, client.CurrentSession);
    }

    [Fact]
    public async Task Sign_up_that_needs_email_confirmation_is_an_auth_exception()
    {
        var client = Client();
        _handler.RespondJson(HttpStatusCode.OK, $$"""{"id":"{{UserId}}","email":"a@example.com","confirmation_sent_at":"2026-01-01T12:00:00Z"}""");
        var ex = await Assert.ThrowsAsync<AuthException>(() => client.SignUpAsync("a@example.com", "password-1"));
        Assert.Equal("email_confirmation_required", ex.ErrorCode);
        Assert.Null(client.CurrentSession);
    }

    [Fact]
    public async Task Expiry_falls_back_to_expires_at_without_expires_in()
    {
        var client = Client();
        _handler.RespondJson(HttpStatusCode.OK, $$$"""{"access_token":"a","refresh_token":"r","expires_at":1767272400,"user":{"id":"{{{UserId}}}"}}""");
        var session = await client.SignInWithPasswordAsync("a@example.com", "p");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1767272400), session.ExpiresAt);
        Assert.Null(session.User.Email);
    }

    [Fact]
    public async Task Invalid_arguments_throw_before_any_request()
    {
        var client = Client();
        await Assert.ThrowsAsync<ArgumentException>(() => client.SignInWithPasswordAsync("", "p"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.SignUpAsync(null!, "p"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SignUpAsync("a@example.com", ""));
        Assert.Empty(_handler.Requests);
    }

    // ---- error mapping ----

    [Theory]
    [InlineData(400, """{"code":400,"error_code":"invalid_credentials","msg":"Invalid login credentials"}""", "invalid_credentials", "Invalid login credentials")]
    [InlineData(422, """{"code":422,"error_code":"user_already_exists","msg":"User already registered"}""", "user_already_exists", "User already registered")]
    [InlineData(422, """{"code":422,"error_code":"weak_password","msg":"Password should be at least 6 characters.","weak_password":{"reasons":["length"]}}""", "weak_password", "Password should be at least 6 characters.")]
    [InlineData(400, """{"error":"invalid_grant","error_description":"Invalid login credentials"}""", "invalid_grant", "Invalid login credentials")]
    [InlineData(429, """{"message":"Too many requests"}""", null, "Too many requests")]
    [InlineData(502, "<html>bad gateway</html>", null, "GoTrue returned HTTP 502: <html>bad gateway</html>")]
    public async Task GoTrue_errors_map_to_auth_exception(int status, string body, string? code, string message)
    {
        var client = Client();
        if (body.StartsWith('<'))
        {
            _handler.RespondText((HttpStatusCode)status, body);
        }
        else
        {
            _handler.RespondJson((HttpStatusCode)status, body);
        }

        var ex = await Assert.ThrowsAsync<AuthException>(() => client.SignInWithPasswordAsync("a@example.com", "wrong"));
        Assert.Equal(status, ex.Status);
        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal(message, ex.Message);
        Assert.Null(client.CurrentSession);
    }

    [Fact]
    public async Task Unreachable_gotrue_is_an_auth_exception_with_status_zero()
    {
        var client = Client();
        _handler.Throw(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"));
        var ex = await Assert.ThrowsAsync<AuthException>(() => client.SignInWithPasswordAsync("a@example.com", "p"));
        Assert.Equal(0, ex.Status);
        Assert.IsType<HttpRequestException>(ex.InnerException);
    }

    [Fact]
    public async Task A_bare_socket_error_from_http_client_is_an_auth_exception_with_status_zero()
    {
        var client = Client();
        _handler.Throw(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.NotConnected));
        var ex = await Assert.ThrowsAsync<AuthException>(() => client.SignInWithPasswordAsync("a@example.com", "p"));
        Assert.Equal(0, ex.Status);
        Assert.IsType<System.Net.Sockets.SocketException>(ex.InnerException);
    }

    // ---- refresh ----

    [Fact]
    public async Task Refresh_posts_the_refresh_token_grant_and_rotates_the_session()
    {
        var client = await SignedInAsync(autoRefresh: false);
        var tokens = new List<string?>();
        using var sub = client.AccessTokenChanged.Subscribe(tokens.Add);
        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-2", "refresh-2"));

        var session = await client.RefreshSessionAsync();

        var request = _handler.Requests[1];
        Assert.Equal("/auth/v1/token?grant_type=refresh_token", request.PathAndQuery);
        Assert.Equal("refresh-1", RefreshTokenOf(request));
        Assert.Equal("access-2", session.AccessToken);
        Assert.Equal("refresh-2", client.CurrentSession!.RefreshToken);
        Assert.Equal(["access-1", "access-2"], tokens);
    }

    [Fact]
    public async Task Auto_refresh_fires_the_margin_before_expiry()
    {
        var client = await SignedInAsync(expiresIn: 3600, margin: TimeSpan.FromSeconds(60));
        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-2", "refresh-2"));

        _time.Advance(TimeSpan.FromSeconds(3539));
        await Task.Delay(50);
        Assert.Single(_handler.Requests);

        _time.Advance(TimeSpan.FromSeconds(1));
        await _handler.WaitForRequestsAsync(2);
        Assert.Equal("refresh-1", RefreshTokenOf(_handler.Requests[1]));
        await WaitUntilAsync(() => client.CurrentSession?.AccessToken == "access-2");

        // The next refresh is scheduled from the new session.
        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-3", "refresh-3"));
        _time.Advance(TimeSpan.FromSeconds(3540));
        await _handler.WaitForRequestsAsync(3);
        Assert.Equal("refresh-2", RefreshTokenOf(_handler.Requests[2]));
    }

    [Fact]
    public async Task A_token_shorter_lived_than_the_margin_refreshes_at_half_life_not_in_a_loop()
    {
        await SignedInAsync(expiresIn: 30, margin: TimeSpan.FromSeconds(60));
        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-2", "refresh-2", 30));
        _time.Advance(TimeSpan.FromSeconds(14));
        await Task.Delay(50);
        Assert.Single(_handler.Requests);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _handler.WaitForRequestsAsync(2);
        await Task.Delay(50);
        Assert.Equal(2, _handler.Requests.Count);
    }

    [Fact]
    public async Task A_token_living_longer_than_a_timer_can_wait_is_still_refreshed_on_time()
    {
        var lifetime = TimeSpan.FromDays(60);
        var client = await SignedInAsync(expiresIn: (long)lifetime.TotalSeconds);
        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-2", "refresh-2"));
        _time.Advance(TimeSpan.FromDays(24));
        _time.Advance(TimeSpan.FromDays(24));
        _time.Advance(lifetime - TimeSpan.FromDays(48) - TimeSpan.FromSeconds(61));
        await Task.Delay(50);
        Assert.Single(_handler.Requests);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _handler.WaitForRequestsAsync(2);
        await WaitUntilAsync(() => client.CurrentSession?.AccessToken == "access-2");
    }

    [Fact]
    public async Task Without_auto_refresh_an_expired_token_is_refreshed_on_demand()
    {
        var client = await SignedInAsync(autoRefresh: false);
        _time.Advance(TimeSpan.FromHours(2));
        await Task.Delay(20);
        Assert.Single(_handler.Requests);

        _handler.RespondJson(HttpStatusCode.OK, SessionJson("access-2", "refresh-2"));
        Assert.Equal("access-2", await client.GetAccessTokenAsync());
        Assert.Equal("refresh-1", RefreshTokenOf(_handler.Requests[1]));
        Assert.Equal("access-2", await client.GetAccessTokenAsync());
        Assert.Equal(2, _handler.Requests.Count);
    }

    [Fact]
    public async Task Concurrent_refreshes_share_one_request()
    {
        var client = await SignedInAsync(autoRefresh: false);
        var release = new TaskCompletionSource();
        _handler.Respond(async (_, _) =>
        {
            await release.Task;
            return ScriptedHttpHandler.Json(HttpStatusCode.OK, SessionJson("access-2", "refresh-2"));
        });
        _time.Advance(TimeSpan.FromHours(2));

        var calls = Enumerable.Range(0, 5).Select(_ => client.RefreshSessionAsync()).ToList();
        var tokenCalls = Enumerable.Range(0, 5).Select(_ => client.GetAccessTokenAsync().AsTask()).ToList();
        var rejectedCall = client.RefreshAccessTokenAsync("access-1").AsTask();
        await _handler.WaitForRequestsAsync(2);
        release.SetResult();

        var sessions = await Task.WhenAll(calls);
        var tokens = await Task.WhenAll(tokenCalls);
        Assert.All(sessions, s => Assert.Equal("access-2", s.AccessToken));
        Assert.All(tokens, t => Assert.Equal("access-2", t));
        Assert.Equal("access-2", await rejectedCall);
        Assert.Equal(2, _handler.Requests.Count);
    }

    [Fact]
    public async Task A_rejected_token_that_was_already_replaced_needs_no_request()
    {
        var client = await SignedInAsync(autoRefresh: false);
        Assert.Equal("access-1", await client.RefreshAccessTokenAsync("some-older-token"));
        Assert.Single(_handler.Requests);
    }

    [Fact]
    public async Task A_refused_refresh_ends_the_session()
    {
        var client = await SignedInAsync(autoRefresh: false);
        var sessions = new List<AuthSession?>();
        using var sub = client.SessionChanged.Subscribe(sessions.Add);
        _handler.RespondJson(HttpStatusCode.BadRequest, """{"code":400,"error_code":"refresh_token_already_used","msg":"Invalid Refresh Token: Already Used"}""");

        var ex = await Assert.ThrowsAsync<AuthException>(() => client.RefreshSessionAsync());

        Assert.Equal((400, "refresh_token_already_used"), (ex.Status, ex.ErrorCode));
        Assert.Null(client.CurrentSession);
        Assert.Null(sessions[^1]);
        Assert.Null(await client.GetAccessTokenAsync());
    }

    [Fact]
    public async Task A_transient_auto_refresh_failure_keeps_the_session_and_retries()
    {
        var client = await SignedInAsync(expiresIn: 3600);
        _handler.RespondJson(HttpStatusCode.ServiceUnavailable, """{"message":"unavailable"}""")
            .RespondJson(HttpStatusCode.OK, SessionJson("access-2", "refresh-2"));

        _time.Advance(TimeSpan.FromSeconds(3540));
        await _handler.WaitForRequestsAsync(2);
        await Task.Delay(50);
        Assert.Equal("access-1", client.CurrentSession!.AccessToken);

        _time.Advance(TimeSpan.FromSeconds(5));
        await _handler.WaitForRequestsAsync(3);
        Assert.Equal("refresh-1", RefreshTokenOf(_handler.Requests[2]));
        await WaitUntilAsync(() => client.CurrentSession?.AccessToken == "access-2");
    }

    [Fact]
    public async Task Refresh_without_a_session_is_an_auth_exception()
    {
        var client = Client();
        var ex = await Assert.ThrowsAsync<AuthException>(() => client.RefreshSessionAsync());
        Assert.Equal("session_missing", ex.ErrorCode);
        Assert.Null(await client.GetAccessTokenAsync());
        Assert.Empty(_handler.Requests);
    }

    [Fact]
    public async Task Cancelling_a_wait_for_a_shared_refresh_leaves_the_refresh_running()
    {
        var client = await SignedInAsync(autoRefresh: false);
        var release = new TaskCompletionSource();
        _handler.Respond(async (_, _) =>
        {
            await release.Task;
            return ScriptedHttpHandler.Json(HttpStatusCode.OK, SessionJson("access-2", "refresh-2"));
        });
        using var cts = new CancellationTokenSource();
        var cancelled = client.RefreshSessionAsync(cts.Token);
        var other = client.RefreshSessionAsync();
        await _handler.WaitForRequestsAsync(2);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        release.SetResult();
        Assert.Equal("access-2", (await other).AccessToken);
    }

    // ---- sign-out, user ----

    [Fact]
    public async Task Sign_out_revokes_with_the_access_token_and_clears_the_session()
    {
        var client = await SignedInAsync();
        var tokens = new List<string?>();
        using var sub = client.AccessTokenChanged.Subscribe(tokens.Add);
        _handler.Respond((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent)));

        await client.SignOutAsync();

        var request = _handler.Requests[1];
        Assert.Equal("/auth/v1/logout?scope=global", request.PathAndQuery);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("Bearer access-1", request.Header("Authorization"));
        Assert.Null(client.CurrentSession);
        Assert.Equal(["access-1", null], tokens);

        // No timer left behind.
        _time.Advance(TimeSpan.FromHours(2));
        await Task.Delay(20);
        Assert.Equal(2, _handler.Requests.Count);
    }

    [Theory]
    [InlineData(SignOutScope.Global, "global", false)]
    [InlineData(SignOutScope.Local, "local", false)]
    [InlineData(SignOutScope.Others, "others", true)]
    public async Task Sign_out_sends_gotrues_scope_and_keeps_the_session_only_for_others(SignOutScope scope, string query, bool keepsSession)
    {
        var client = await SignedInAsync();
        _handler.Respond((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent)));

        await client.SignOutAsync(scope);

        Assert.Equal("/auth/v1/logout?scope=" + query, _handler.Requests[1].PathAndQuery);
        Assert.Equal(keepsSession, client.CurrentSession is not null);
    }

    [Fact]
    public async Task Sign_out_with_an_undefined_scope_is_an_argument_error_before_any_request()
    {
        var client = await SignedInAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.SignOutAsync((SignOutScope)7));
        Assert.Single(_handler.Requests);
        Assert.NotNull(client.CurrentSession);
    }

    [Fact]
    public async Task Sign_out_of_a_session_the_server_forgot_is_quiet()
    {
        var client = await SignedInAsync();
        _handler.RespondJson(HttpStatusCode.Unauthorized, """{"code":401,"error_code":"session_not_found","msg":"Session not found"}""");
        await client.SignOutAsync();
        Assert.Null(client.CurrentSession);
    }

    [Fact]
    public async Task Sign_out_failing_on_the_server_still_clears_locally_and_reports_it()
    {
        var client = await SignedInAsync();
        _handler.RespondJson(HttpStatusCode.InternalServerError, """{"code":500,"error_code":"unexpected_failure","msg":"boom"}""");
        var ex = await Assert.ThrowsAsync<AuthException>(() => client.SignOutAsync());
        Assert.Equal(500, ex.Status);
        Assert.Null(client.CurrentSession);
    }

    [Fact]
    public async Task Get_user_reads_the_user_with_the_access_token()
    {
        var client = await SignedInAsync();
        _handler.RespondJson(HttpStatusCode.OK, $$"""{"id":"{{UserId}}","email":"a@example.com","role":"authenticated"}""");
        var user = await client.GetUserAsync();
        Assert.Equal(new AuthUser(UserId, "a@example.com"), user);
        Assert.Equal("/auth/v1/user", _handler.Requests[1].PathAndQuery);
        Assert.Equal(HttpMethod.Get, _handler.Requests[1].Method);
        Assert.Equal("Bearer access-1", _handler.Requests[1].Header("Authorization"));
    }

    // ---- disposal, logging ----

    [Fact]
    public async Task Dispose_stops_the_timer_and_completes_the_observables()
    {
        var client = await SignedInAsync();
        var completed = false;
        using var sub = client.SessionChanged.Subscribe(_ => { }, () => completed = true);
        await client.DisposeAsync();
        _time.Advance(TimeSpan.FromHours(2));
        await Task.Delay(20);
        Assert.Single(_handler.Requests);
        Assert.True(completed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.RefreshSessionAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetAccessTokenAsync().AsTask());
        await client.DisposeAsync();
    }

    [Fact]
    public async Task Logs_and_session_text_never_contain_tokens_or_passwords()
    {
        var client = await SignedInAsync(expiresIn: 3600);
        _handler.RespondJson(HttpStatusCode.BadRequest, """{"code":400,"error_code":"refresh_token_not_found","msg":"Invalid Refresh Token: Refresh Token Not Found"}""");
        _time.Advance(TimeSpan.FromSeconds(3540));
        await _handler.WaitForRequestsAsync(2);
        await WaitUntilAsync(() => client.CurrentSession is null);
        var text = _logger.AllText;
        Assert.NotEmpty(_logger.Lines);
        foreach (var secret in new[] { "access-1", "refresh-1", "password-1", ApiKey })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        var session = new AuthSession("access-x", "refresh-x", DateTimeOffset.UnixEpoch, new AuthUser(UserId, null));
        Assert.DoesNotContain("access-x", session.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("refresh-x", session.ToString(), StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not reached in time.");
            await Task.Delay(10);
        }
    }
}
