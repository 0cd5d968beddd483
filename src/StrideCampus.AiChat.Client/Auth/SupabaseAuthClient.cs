using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>
/// A GoTrue (Supabase Auth) client holding one session: email/password sign-up and sign-in, refresh
/// before expiry (timer) and on demand, and sign-out. It is the <see cref="IAccessTokenProvider"/> that
/// the REST and Realtime clients use. Concurrent refreshes share one request, because GoTrue's refresh
/// tokens are single-use.
/// </summary>
public class SupabaseAuthClient : IRefreshableAccessTokenProvider, IAsyncDisposable
{
    /// <summary>A token this close to expiry is treated as expired by <see cref="GetAccessTokenAsync"/>.</summary>
    internal static readonly TimeSpan ExpirySkew = TimeSpan.FromSeconds(10);

    /// <summary>The longest single timer wait (timers cap at about 49 days).</summary>
    internal static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(24);

    private static readonly MediaTypeWithQualityHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _http;
    private readonly SupabaseAuthOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Uri _authBase;
    private readonly BehaviorSubject<AuthSession?> _sessions = new(null);
    private readonly Lock _gate = new();
    private readonly Lock _publishGate = new();
    private readonly CancellationTokenSource _disposeCts = new();
    private AuthSession? _current;
    private long _generation;
    private Task<AuthSession>? _refreshInFlight;
    private ITimer? _timer;
    private bool _disposed;

    /// <summary>Creates the client.</summary>
    /// <param name="http">The HTTP client (not disposed by this client).</param>
    /// <param name="options">Project URL, anon key and refresh settings.</param>
    /// <param name="logger">Optional logger; tokens are never logged.</param>
    public SupabaseAuthClient(HttpClient http, SupabaseAuthOptions options, ILogger<SupabaseAuthClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Url);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ApiKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RefreshMargin, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RefreshRetryDelay, TimeSpan.Zero);
        _http = http;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = options.TimeProvider ?? TimeProvider.System;
        _authBase = new Uri(options.Url.AbsoluteUri.TrimEnd('/') + "/auth/v1/");
        AccessTokenChanged = _sessions.Select(s => s?.AccessToken).DistinctUntilChanged();
    }

    /// <summary>For mocking frameworks only: a client built this way sends nothing until its virtual members are overridden.</summary>
    protected SupabaseAuthClient()
    {
        _http = null!;
        _options = new SupabaseAuthOptions { Url = new Uri("http://localhost/"), ApiKey = "mock", AutoRefresh = false };
        _logger = NullLogger.Instance;
        _time = TimeProvider.System;
        _authBase = _options.Url;
        AccessTokenChanged = _sessions.Select(s => s?.AccessToken).DistinctUntilChanged();
    }

    /// <summary>The current session, or <see langword="null"/> when signed out.</summary>
    public virtual AuthSession? CurrentSession
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Emits the session after each sign-in, refresh and sign-out (<see langword="null"/>); replays the current one.</summary>
    public virtual IObservable<AuthSession?> SessionChanged => _sessions.AsObservable();

    /// <summary>Emits each new access token (<see langword="null"/> after sign-out); replays the current one.</summary>
    public virtual IObservable<string?> AccessTokenChanged { get; }

    /// <summary>Creates a user with email and password (<c>POST /auth/v1/signup</c>) and makes its session current.</summary>
    /// <param name="email">The email.</param>
    /// <param name="password">The password.</param>
    /// <param name="ct">Cancels the request.</param>
    /// <returns>The new session.</returns>
    /// <exception cref="AuthException">GoTrue refused (for example <c>user_already_exists</c>, <c>weak_password</c>),
    /// or the project requires email confirmation, so no session was issued.</exception>
    public virtual async Task<AuthSession> SignUpAsync(string email, string password, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        ThrowIfDisposed();
        var body = new GoTruePasswordRequest { Email = email, Password = password };
        var session = await RequestSessionAsync(
            HttpMethod.Post, "signup", JsonContent.Create(body, AuthJsonContext.Default.GoTruePasswordRequest), ct);
        ApplySession(session, expectedGeneration: null);
        _logger.SignedIn(session.User.Id, session.ExpiresAt);
        return session;
    }

    /// <summary>Signs in with email and password (<c>POST /auth/v1/token?grant_type=password</c>).</summary>
    /// <param name="email">The email.</param>
    /// <param name="password">The password.</param>
    /// <param name="ct">Cancels the request.</param>
    /// <returns>The new session.</returns>
    /// <exception cref="AuthException">GoTrue refused (for example <c>invalid_credentials</c>).</exception>
    public virtual async Task<AuthSession> SignInWithPasswordAsync(string email, string password, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        ThrowIfDisposed();
        var body = new GoTruePasswordRequest { Email = email, Password = password };
        var session = await RequestSessionAsync(
            HttpMethod.Post, "token?grant_type=password", JsonContent.Create(body, AuthJsonContext.Default.GoTruePasswordRequest), ct);
        ApplySession(session, expectedGeneration: null);
        _logger.SignedIn(session.User.Id, session.ExpiresAt);
        return session;
    }

    /// <summary>
    /// Exchanges the refresh token for a new session (<c>POST /auth/v1/token?grant_type=refresh_token</c>).
    /// Calls made while a refresh is in flight share it. A refusal by GoTrue (4xx, for example an already
    /// used refresh token) ends the session.
    /// </summary>
    /// <param name="ct">Cancels this caller's wait; the shared request itself runs to completion.</param>
    /// <returns>The refreshed session.</returns>
    /// <exception cref="AuthException">No session, or GoTrue refused.</exception>
    public virtual Task<AuthSession> RefreshSessionAsync(CancellationToken ct = default)
    {
        ThrowIfDisposed();
        return StartOrJoinRefresh(onlyIfAccessToken: null).WaitAsync(ct);
    }

    /// <summary>
    /// Signs out of every session of the user, on every device (<c>POST /auth/v1/logout?scope=global</c>), as
    /// supabase-js's <c>signOut()</c> does by default, and removes the local session. Use
    /// <see cref="SignOutAsync(SignOutScope, CancellationToken)"/> with <see cref="SignOutScope.Local"/> to end only this one.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when signed out.</returns>
    /// <exception cref="AuthException">The server failed (other than 401/403/404); the local session is removed anyway.</exception>
    public virtual Task SignOutAsync(CancellationToken cancellationToken = default) =>
        SignOutAsync(SignOutScope.Global, cancellationToken);

    /// <summary>
    /// Ends the sessions that <paramref name="scope"/> names on the server (<c>POST /auth/v1/logout?scope=</c>).
    /// The default, <see cref="SignOutScope.Global"/>, signs the user out of every device, as supabase-js does.
    /// With <see cref="SignOutScope.Global"/> or <see cref="SignOutScope.Local"/> the local session is removed, even
    /// when the server call fails; with <see cref="SignOutScope.Others"/> it stays. A failure other than 401/403/404
    /// (session already gone) is rethrown. Access tokens already issued stay valid until they expire.
    /// </summary>
    /// <param name="scope">Which sessions end: every device (default), this one, or every other one.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when signed out.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scope"/> is not a defined value.</exception>
    /// <exception cref="AuthException">The server failed (other than 401/403/404).</exception>
    public virtual async Task SignOutAsync(SignOutScope scope, CancellationToken cancellationToken = default)
    {
        var query = scope switch
        {
            SignOutScope.Global => "global",
            SignOutScope.Local => "local",
            SignOutScope.Others => "others",
            _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "Not a sign-out scope."),
        };
        ThrowIfDisposed();
        var session = CurrentSession;
        if (session is null)
        {
            return;
        }

        var keepLocal = scope == SignOutScope.Others;
        try
        {
            using var response = await SendAsync(HttpMethod.Post, "logout?scope=" + query, null, session.AccessToken, cancellationToken);
        }
        catch (AuthException ex) when (ex.Status is 401 or 403 or 404)
        {
            // The session is already gone on the server: nothing left to revoke.
            if (keepLocal)
            {
                throw;
            }
        }
        catch (AuthException ex)
        {
            _logger.SignOutFailed(ex.Status, ex);
            if (!keepLocal)
            {
                ApplySession(null, expectedGeneration: null);
            }

            throw;
        }

        if (keepLocal)
        {
            return;
        }

        ApplySession(null, expectedGeneration: null);
        _logger.SignedOut(session.User.Id);
    }

    /// <summary>Reads the signed-in user from GoTrue (<c>GET /auth/v1/user</c>), refreshing the token first if needed.</summary>
    /// <param name="ct">Cancels the request.</param>
    /// <returns>The user.</returns>
    /// <exception cref="AuthException">Not signed in, or GoTrue refused the token.</exception>
    public virtual async Task<AuthUser> GetUserAsync(CancellationToken ct = default)
    {
        ThrowIfDisposed();
        var token = await GetAccessTokenAsync(ct) ?? throw new AuthException(401, "session_missing", "Not signed in.");
        using var response = await SendAsync(HttpMethod.Get, "user", null, token, ct);
        var user = await response.Content.ReadFromJsonAsync(AuthJsonContext.Default.GoTrueUserResponse, ct)
            ?? throw new AuthException((int)response.StatusCode, null, "GoTrue returned an empty user.");
        return new AuthUser(user.Id, user.Email);
    }

    /// <summary>
    /// Makes <paramref name="session"/> current (for example one the app persisted), or signs out locally
    /// when <see langword="null"/>; no request is sent.
    /// </summary>
    /// <param name="session">The session to use.</param>
    public virtual void SetSession(AuthSession? session)
    {
        ThrowIfDisposed();
        ApplySession(session, expectedGeneration: null);
    }

    /// <inheritdoc />
    public virtual async ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var session = CurrentSession;
        if (session is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var skew = ExpirySkew < _options.RefreshMargin ? ExpirySkew : _options.RefreshMargin;
        if (now < session.ExpiresAt - skew)
        {
            return session.AccessToken;
        }

        try
        {
            var refreshed = await StartOrJoinRefresh(onlyIfAccessToken: session.AccessToken).WaitAsync(cancellationToken);
            return refreshed.AccessToken;
        }
        catch (AuthException ex) when (GoTrueErrors.IsTransient(ex) && _time.GetUtcNow() < session.ExpiresAt)
        {
            // GoTrue unreachable but the token is still valid for a few seconds: use it.
            return session.AccessToken;
        }
    }

    /// <inheritdoc />
    public virtual async ValueTask<string?> RefreshAccessTokenAsync(string? rejectedToken, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var session = CurrentSession;
        if (session is null)
        {
            return null;
        }

        if (!string.Equals(session.AccessToken, rejectedToken, StringComparison.Ordinal))
        {
            return session.AccessToken;
        }

        var refreshed = await StartOrJoinRefresh(onlyIfAccessToken: rejectedToken).WaitAsync(cancellationToken);
        return refreshed.AccessToken;
    }

    /// <summary>Stops the refresh timer and completes the observables. The session is not revoked on the server.</summary>
    /// <returns>A task that completes when disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the timer, cancels an in-flight refresh and completes the observables.</summary>
    /// <returns>A task that completes when released.</returns>
    protected virtual async ValueTask DisposeAsyncCore()
    {
        Task? inFlight;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            _timer = null;
            inFlight = _refreshInFlight;
        }

        await _disposeCts.CancelAsync();
        if (inFlight is not null)
        {
            try
            {
                await inFlight;
            }
            catch (Exception ex) when (ex is OperationCanceledException or AuthException or ObjectDisposedException)
            {
                // Disposal interrupted it; nobody is left to tell.
            }
        }

        lock (_publishGate)
        {
            _sessions.OnCompleted();
            _sessions.Dispose();
        }

        _disposeCts.Dispose();
    }

    private Task<AuthSession> StartOrJoinRefresh(string? onlyIfAccessToken)
    {
        TaskCompletionSource<AuthSession> completion;
        AuthSession current;
        long generation;
        lock (_gate)
        {
            if (_disposed)
            {
                return Task.FromException<AuthSession>(new ObjectDisposedException(GetType().FullName));
            }

            if (_refreshInFlight is { } running)
            {
                return running;
            }

            if (_current is null)
            {
                return Task.FromException<AuthSession>(
                    new AuthException(401, "session_missing", "There is no session to refresh; sign in first."));
            }

            if (onlyIfAccessToken is not null && !string.Equals(_current.AccessToken, onlyIfAccessToken, StringComparison.Ordinal))
            {
                // Someone refreshed meanwhile: the current session is already the new one.
                return Task.FromResult(_current);
            }

            current = _current;
            generation = _generation;
            completion = new TaskCompletionSource<AuthSession>(TaskCreationOptions.RunContinuationsAsynchronously);
            _refreshInFlight = completion.Task;
        }

        _ = RunRefreshAsync(current, generation, completion);
        return completion.Task;
    }

    private async Task RunRefreshAsync(AuthSession current, long generation, TaskCompletionSource<AuthSession> completion)
    {
        try
        {
            var body = new GoTrueRefreshRequest { RefreshToken = current.RefreshToken };
            var session = await RequestSessionAsync(
                HttpMethod.Post,
                "token?grant_type=refresh_token",
                JsonContent.Create(body, AuthJsonContext.Default.GoTrueRefreshRequest),
                _disposeCts.Token);
            bool applied;
            lock (_gate)
            {
                // Clearing the in-flight task and installing the new session is one step: a refresh
                // started in between would spend the old, already used refresh token.
                _refreshInFlight = null;
                applied = ApplyUnderLock(session, generation);
            }

            if (applied)
            {
                Publish();
                _logger.Refreshed(session.User.Id, session.ExpiresAt);
                completion.TrySetResult(session);
            }
            else
            {
                // Signed in or out while the refresh ran: the caller gets whatever is current now.
                var now = CurrentSession;
                if (now is null)
                {
                    completion.TrySetException(new AuthException(401, "session_missing", "Signed out while the session was being refreshed."));
                }
                else
                {
                    completion.TrySetResult(now);
                }
            }
        }
        catch (Exception ex)
        {
            var ended = false;
            lock (_gate)
            {
                _refreshInFlight = null;
                if (ex is AuthException auth && !GoTrueErrors.IsTransient(auth))
                {
                    // The refresh token is spent, revoked or unknown: this session cannot come back.
                    _logger.SessionEnded(auth.Status, auth.ErrorCode, auth);
                    ended = ApplyUnderLock(null, generation);
                }
            }

            if (ended)
            {
                Publish();
            }

            completion.TrySetException(ex);
        }
    }

    private async Task<AuthSession> RequestSessionAsync(HttpMethod method, string path, HttpContent content, CancellationToken ct)
    {
        using var response = await SendAsync(method, path, content, _options.ApiKey, ct);
        GoTrueSessionResponse? body;
        try
        {
            body = await response.Content.ReadFromJsonAsync(AuthJsonContext.Default.GoTrueSessionResponse, ct);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new AuthException((int)response.StatusCode, null, "GoTrue returned a session that is not valid JSON.", ex);
        }

        if (body is null || string.IsNullOrEmpty(body.AccessToken))
        {
            throw new AuthException(
                (int)response.StatusCode,
                "email_confirmation_required",
                "GoTrue created the user but issued no session: the project requires email confirmation before sign-in.");
        }

        if (string.IsNullOrEmpty(body.RefreshToken) || body.User is null)
        {
            throw new AuthException((int)response.StatusCode, null, "GoTrue returned a session without refresh token or user.");
        }

        // expires_in is relative, so it is immune to clock skew between this machine and the server.
        var now = _time.GetUtcNow();
        var expiresAt = body.ExpiresIn is { } seconds
            ? now.AddSeconds(seconds)
            : body.ExpiresAt is { } unix
                ? DateTimeOffset.FromUnixTimeSeconds(unix)
                : now.AddHours(1);
        return new AuthSession(body.AccessToken, body.RefreshToken, expiresAt, new AuthUser(body.User.Id, body.User.Email));
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string bearer, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(_authBase, path)) { Content = content };
        request.Headers.TryAddWithoutValidation("apikey", _options.ApiKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Headers.Accept.Add(JsonMediaType);
        // Asks GoTrue for its current error format (with error_code).
        request.Headers.TryAddWithoutValidation("X-Supabase-Api-Version", "2024-01-01");

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException)
        {
            // A reset at connect time can escape HttpClient as a bare SocketException.
            throw new AuthException(0, null, $"GoTrue could not be reached: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new AuthException(0, "request_timeout", "GoTrue did not answer in time.", ex);
        }

        _logger.Response(method.Method, "/auth/v1/" + path.Split('?')[0], (int)response.StatusCode);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw GoTrueErrors.FromResponse(response.StatusCode, text);
        }
    }

    /// <summary>Makes <paramref name="session"/> current unless the session changed since <paramref name="expectedGeneration"/>.</summary>
    private bool ApplySession(AuthSession? session, long? expectedGeneration)
    {
        bool applied;
        lock (_gate)
        {
            applied = ApplyUnderLock(session, expectedGeneration);
        }

        if (applied)
        {
            Publish();
        }

        return applied;
    }

    /// <summary>Installs the session and its refresh timer. Call under <see cref="_gate"/>, then <see cref="Publish"/>.</summary>
    private bool ApplyUnderLock(AuthSession? session, long? expectedGeneration)
    {
        if (_disposed || (expectedGeneration is { } expected && expected != _generation))
        {
            return false;
        }

        _current = session;
        _generation++;
        ScheduleRefresh(session, _options.AutoRefresh ? ComputeRefreshDelay(session) : null);
        return true;
    }

    /// <summary>Emits the latest session; serialised so that subscribers see sessions in order.</summary>
    private void Publish()
    {
        lock (_publishGate)
        {
            AuthSession? latest;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                latest = _current;
            }

            if (!ReferenceEquals(_sessions.Value, latest))
            {
                _sessions.OnNext(latest);
            }
        }
    }

    private TimeSpan? ComputeRefreshDelay(AuthSession? session)
    {
        if (session is null)
        {
            return null;
        }

        var lifetime = session.ExpiresAt - _time.GetUtcNow();
        var beforeMargin = lifetime - _options.RefreshMargin;
        // A token that lives shorter than the margin is refreshed at half its life, not in a tight loop.
        var delay = beforeMargin > lifetime / 2 ? beforeMargin : lifetime / 2;
        return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
    }

    /// <summary>Replaces the refresh timer. Call under <see cref="_gate"/>.</summary>
    private void ScheduleRefresh(AuthSession? session, TimeSpan? delay)
    {
        _timer?.Dispose();
        _timer = null;
        if (session is null || delay is not { } due || _disposed)
        {
            return;
        }

        _logger.RefreshScheduled(due);
        // Timers cannot wait longer than about 49 days; a longer-lived token re-arms the timer instead.
        var clamped = due > MaxTimerDelay;
        _timer = _time.CreateTimer(OnRefreshTimer, new RefreshTimerState(_generation, clamped), clamped ? MaxTimerDelay : due, Timeout.InfiniteTimeSpan);
    }

    private void OnRefreshTimer(object? state) => _ = AutoRefreshAsync((RefreshTimerState)state!);

    private async Task AutoRefreshAsync(RefreshTimerState state)
    {
        var generation = state.Generation;
        lock (_gate)
        {
            if (_disposed || generation != _generation)
            {
                return;
            }

            if (state.Clamped)
            {
                ScheduleRefresh(_current, ComputeRefreshDelay(_current));
                return;
            }
        }

        try
        {
            await StartOrJoinRefresh(onlyIfAccessToken: null);
        }
        catch (AuthException ex) when (GoTrueErrors.IsTransient(ex))
        {
            lock (_gate)
            {
                if (_disposed || generation != _generation)
                {
                    return;
                }

                _logger.RefreshFailedTransient(ex.Status, ex.ErrorCode, _options.RefreshRetryDelay, ex);
                ScheduleRefresh(_current, _options.RefreshRetryDelay);
            }
        }
        catch (Exception ex) when (ex is AuthException or OperationCanceledException or ObjectDisposedException)
        {
            // Refused refreshes already ended the session (and were logged); cancellation means disposal.
        }
    }

    private sealed record RefreshTimerState(long Generation, bool Clamped);

    private void ThrowIfDisposed()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }
    }
}
