using System.Net.Http.Json;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>Refresh (shared, single-use refresh tokens), the refresh timer, and publication of sessions.</summary>
public partial class SupabaseAuthClient
{
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
            TimeSpan? armed;
            lock (_gate)
            {
                // Clearing the in-flight task and installing the new session is one step: a refresh
                // started in between would spend the old, already used refresh token.
                _refreshInFlight = null;
                applied = ApplyUnderLock(session, generation, out armed);
            }

            if (applied)
            {
                LogScheduled(armed);
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
            var refused = ex is AuthException auth && !GoTrueErrors.IsTransient(auth) ? auth : null;
            lock (_gate)
            {
                _refreshInFlight = null;
                if (refused is not null)
                {
                    // The refresh token is spent, revoked or unknown: this session cannot come back.
                    ended = ApplyUnderLock(null, generation, out _);
                }
            }

            if (refused is not null)
            {
                _logger.SessionEnded(refused.Status, refused.ErrorCode, refused);
            }

            if (ended)
            {
                Publish();
            }

            completion.TrySetException(ex);
        }
    }

    /// <summary>Makes <paramref name="session"/> current unless the session changed since <paramref name="expectedGeneration"/>.</summary>
    private bool ApplySession(AuthSession? session, long? expectedGeneration)
    {
        bool applied;
        TimeSpan? armed;
        lock (_gate)
        {
            applied = ApplyUnderLock(session, expectedGeneration, out armed);
        }

        if (applied)
        {
            LogScheduled(armed);
            Publish();
        }

        return applied;
    }

    /// <summary>Installs the session and its refresh timer (<paramref name="armed"/>: its delay). Call under <see cref="_gate"/>, then <see cref="Publish"/>.</summary>
    private bool ApplyUnderLock(AuthSession? session, long? expectedGeneration, out TimeSpan? armed)
    {
        armed = null;
        if (_disposed || (expectedGeneration is { } expected && expected != _generation))
        {
            return false;
        }

        _current = session;
        _generation++;
        armed = ScheduleRefresh(session, _options.AutoRefresh ? ComputeRefreshDelay(session) : null);
        return true;
    }

    private void LogScheduled(TimeSpan? armed)
    {
        if (armed is { } due)
        {
            _logger.RefreshScheduled(due);
        }
    }

    /// <summary>
    /// Emits the latest session, or completes the stream once disposed. Subscribers see sessions in order with no lock
    /// held while they run: the first caller drains, and a caller arriving meanwhile (another thread, or a subscriber
    /// calling back in) only makes the drainer go round once more. Only the drainer touches <c>_sessions</c>.
    /// </summary>
    private void Publish()
    {
        if (Interlocked.Increment(ref _publishRequests) != 1)
        {
            return;
        }

        try
        {
            do
            {
                AuthSession? latest;
                bool disposed;
                lock (_gate)
                {
                    latest = _current;
                    disposed = _disposed;
                }

                if (_sessionsCompleted)
                {
                    continue;
                }

                if (disposed)
                {
                    _sessionsCompleted = true;
                    _sessions.OnCompleted();
                    _sessions.Dispose();
                }
                else if (!ReferenceEquals(_sessions.Value, latest))
                {
                    _sessions.OnNext(latest);
                }
            }
            while (Interlocked.Decrement(ref _publishRequests) != 0);
        }
        catch
        {
            // A subscriber threw (Rx passes it on): the next Publish drains again.
            Volatile.Write(ref _publishRequests, 0);
            throw;
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

    /// <summary>Replaces the refresh timer; returns its delay (log it after leaving the gate). Call under <see cref="_gate"/>.</summary>
    private TimeSpan? ScheduleRefresh(AuthSession? session, TimeSpan? delay)
    {
        _timer?.Dispose();
        _timer = null;
        if (session is null || delay is not { } due || _disposed)
        {
            return null;
        }

        // Timers cannot wait longer than about 49 days; a longer-lived token re-arms the timer instead.
        var clamped = due > MaxTimerDelay;
        _timer = _time.CreateTimer(OnRefreshTimer, new RefreshTimerState(_generation, clamped), clamped ? MaxTimerDelay : due, Timeout.InfiniteTimeSpan);
        return due;
    }

    private void OnRefreshTimer(object? state) => _ = AutoRefreshAsync((RefreshTimerState)state!);

    private async Task AutoRefreshAsync(RefreshTimerState state)
    {
        var generation = state.Generation;
        TimeSpan? rearmed = null;
        lock (_gate)
        {
            if (_disposed || generation != _generation)
            {
                return;
            }

            if (state.Clamped)
            {
                rearmed = ScheduleRefresh(_current, ComputeRefreshDelay(_current));
            }
        }

        if (state.Clamped)
        {
            LogScheduled(rearmed);
            return;
        }

        try
        {
            await StartOrJoinRefresh(onlyIfAccessToken: null);
        }
        catch (AuthException ex) when (GoTrueErrors.IsTransient(ex))
        {
            TimeSpan? retry;
            lock (_gate)
            {
                if (_disposed || generation != _generation)
                {
                    return;
                }

                retry = ScheduleRefresh(_current, _options.RefreshRetryDelay);
            }

            _logger.RefreshFailedTransient(ex.Status, ex.ErrorCode, _options.RefreshRetryDelay, ex);
            LogScheduled(retry);
        }
        catch (Exception ex) when (ex is AuthException or OperationCanceledException or ObjectDisposedException)
        {
            // Refused refreshes already ended the session (and were logged); cancellation means disposal.
        }
    }

    private sealed record RefreshTimerState(long Generation, bool Clamped);
}
