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
/// <remarks>
/// Ownership: <c>_gate</c> guards the session, its generation, the refresh in flight and the refresh timer; under it
/// only fields change and the timer is created or disposed. Logging, task completion and publication happen after it
/// is released. Only the drainer of <c>Publish</c> touches <c>_sessions</c>, so subscribers run with no lock held and
/// see sessions in order; a subscriber may call back in (sign out, refresh) without deadlock.
/// </remarks>
public partial class SupabaseAuthClient : IRefreshableAccessTokenProvider, IAsyncDisposable
{
    /// <summary>A token this close to expiry is treated as expired by <see cref="GetAccessTokenAsync"/>.</summary>
    internal static readonly TimeSpan ExpirySkew = TimeSpan.FromSeconds(10);

    /// <summary>The longest single timer wait (timers cap at about 49 days).</summary>
    internal static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(24);

    private readonly HttpClient _http;
    private readonly SupabaseAuthOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Uri _authBase;
    private readonly BehaviorSubject<AuthSession?> _sessions = new(null);
    private readonly Lock _gate = new();
    private int _publishRequests;
    private bool _sessionsCompleted;
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
        ProjectUrl.Validate(options.Url, options.ApiKey, nameof(options));
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
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new session.</returns>
    /// <exception cref="AuthException">GoTrue refused (for example <c>user_already_exists</c>, <c>weak_password</c>),
    /// or the project requires email confirmation, so no session was issued.</exception>
    public virtual async Task<AuthSession> SignUpAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        ThrowIfDisposed();
        var body = new GoTruePasswordRequest { Email = email, Password = password };
        var session = await RequestSessionAsync(
            HttpMethod.Post, "signup", JsonContent.Create(body, AuthJsonContext.Default.GoTruePasswordRequest), cancellationToken);
        ApplySession(session, expectedGeneration: null);
        _logger.SignedIn(session.User.Id, session.ExpiresAt);
        return session;
    }

    /// <summary>Signs in with email and password (<c>POST /auth/v1/token?grant_type=password</c>).</summary>
    /// <param name="email">The email.</param>
    /// <param name="password">The password.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The new session.</returns>
    /// <exception cref="AuthException">GoTrue refused (for example <c>invalid_credentials</c>).</exception>
    public virtual async Task<AuthSession> SignInWithPasswordAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrEmpty(password);
        ThrowIfDisposed();
        var body = new GoTruePasswordRequest { Email = email, Password = password };
        var session = await RequestSessionAsync(
            HttpMethod.Post, "token?grant_type=password", JsonContent.Create(body, AuthJsonContext.Default.GoTruePasswordRequest), cancellationToken);
        ApplySession(session, expectedGeneration: null);
        _logger.SignedIn(session.User.Id, session.ExpiresAt);
        return session;
    }

    /// <summary>
    /// Exchanges the refresh token for a new session (<c>POST /auth/v1/token?grant_type=refresh_token</c>).
    /// Calls made while a refresh is in flight share it. A refusal by GoTrue (4xx, for example an already
    /// used refresh token) ends the session.
    /// </summary>
    /// <param name="cancellationToken">Cancels this caller's wait; the shared request itself runs to completion.</param>
    /// <returns>The refreshed session.</returns>
    /// <exception cref="AuthException">No session, or GoTrue refused.</exception>
    public virtual Task<AuthSession> RefreshSessionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return StartOrJoinRefresh(onlyIfAccessToken: null).WaitAsync(cancellationToken);
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
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The user.</returns>
    /// <exception cref="AuthException">Not signed in, or GoTrue refused the token.</exception>
    public virtual async Task<AuthUser> GetUserAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var token = await GetAccessTokenAsync(cancellationToken) ?? throw new AuthException(401, "session_missing", "Not signed in.");
        using var response = await SendAsync(HttpMethod.Get, "user", null, token, cancellationToken);
        var user = await response.Content.ReadFromJsonAsync(AuthJsonContext.Default.GoTrueUserResponse, cancellationToken)
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

        Publish(); // completes the stream (the drainer owns it)

        _disposeCts.Dispose();
    }

    private void ThrowIfDisposed()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }
    }
}
