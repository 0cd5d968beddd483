using System.Text.Json.Nodes;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Session actions: each shows its change at once, then confirms it with the server or rolls it back.</summary>
public sealed partial class MessageStore
{
    // ================================================================ session actions

    /// <summary>Creates a session (optimistically) and, by default, makes it the active one in every client.</summary>
    /// <param name="title">The title (1 to 200 characters); <see cref="MessageStoreOptions.DefaultSessionTitle"/> when null.</param>
    /// <param name="activate">Whether the new session becomes the active one.</param>
    /// <param name="cancellationToken">Cancels the write (the optimistic change is rolled back).</param>
    /// <returns>The session as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The server refused; the change was rolled back.</exception>
    /// <exception cref="ArgumentException"><paramref name="title"/> is blank or longer than 200 characters (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task<ChatSession> CreateSessionAsync(string? title = null, bool activate = true, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        title ??= _options.DefaultSessionTitle;
        ValidateTitle(title);
        var id = Guid.NewGuid();
        var now = _time.GetUtcNow();
        var optimistic = new ChatSession(id, UserId, title, activate, now, now);
        long token;
        var touched = new List<Guid> { id };
        using (EnterGate())
        {
            token = _core.NewToken();
            _core.PushSession(token, id, optimistic);
            if (activate)
            {
                PushDeactivations(token, id, touched);
            }

            _core.Touch(id, Now);
            PublishLocked();
        }

        try
        {
            var row = await _data.UpsertSessionAsync(
                optimistic with { IsActive = false, CreatedAt = default, UpdatedAt = default }, cancellationToken).ConfigureAwait(false);
            using (EnterGate())
            {
                _core.ServerSession(row, isNew: true);
                PublishLocked();
            }

            if (activate)
            {
                var rows = await _data.SetActiveSessionAsync(id, cancellationToken).ConfigureAwait(false);
                using (EnterGate())
                {
                    ApplyActivationLocked(rows, id);
                }
            }

            using (EnterGate())
            {
                PopSessions(token, touched);
                PublishLocked();
                return _core.GetVisibleSession(id) ?? row;
            }
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.CreateSession, id, token, touched, ex);
        }
    }

    /// <summary>Renames a session (optimistically).</summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="title">The new title (1 to 200 characters).</param>
    /// <param name="cancellationToken">Cancels the write (the optimistic change is rolled back).</param>
    /// <returns>The session as the database stored it.</returns>
    /// <exception cref="ChatOperationException">The server refused or the session no longer exists; rolled back.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/>, or <paramref name="title"/> is blank or longer than 200 characters (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task<ChatSession> RenameSessionAsync(Guid sessionId, string title, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateTitle(title);
        long token;
        var touched = new List<Guid> { sessionId };
        using (EnterGate())
        {
            var current = RequireSession(sessionId);
            token = _core.NewToken();
            _core.PushSession(token, sessionId, current with { Title = title });
            PublishLocked();
        }

        try
        {
            var row = await _data.UpdateSessionAsync(sessionId, new JsonObject { ["title"] = title }, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"Session {sessionId} no longer exists.");
            using (EnterGate())
            {
                _core.ServerSession(row, isNew: false);
                PopSessions(token, touched);
                PublishLocked();
                return _core.GetVisibleSession(sessionId) ?? row;
            }
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.UpdateSession, sessionId, token, touched, ex);
        }
    }

    /// <summary>
    /// Makes a session the active one for the user, through the database, so every client follows; loads
    /// its messages if they are not in memory.
    /// </summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the switch (the optimistic change is rolled back).</param>
    /// <returns>The session, now active, with its messages.</returns>
    /// <exception cref="ChatOperationException">The server refused; rolled back.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task<ChatSessionState> SwitchToSessionAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long token;
        var touched = new List<Guid> { sessionId };
        using (EnterGate())
        {
            var current = RequireSession(sessionId);
            token = _core.NewToken();
            _core.PushSession(token, sessionId, current with { IsActive = true });
            PushDeactivations(token, sessionId, touched);
            _core.Touch(sessionId, Now);
            PublishLocked();
        }

        try
        {
            var load = LoadMessagesAsync(sessionId, cancellationToken);
            var rows = await _data.SetActiveSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
            using (EnterGate())
            {
                ApplyActivationLocked(rows, sessionId);
                PublishLocked();
            }

            await load.ConfigureAwait(false);
            using (EnterGate())
            {
                PopSessions(token, touched);
                PublishLocked();
            }

            return GetSessionById(sessionId) ?? throw new KeyNotFoundException($"Session {sessionId} was deleted meanwhile.");
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.SwitchSession, sessionId, token, touched, ex);
        }
    }

    /// <summary>Deletes a session and its messages (optimistically: it disappears at once).</summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the delete (the session reappears).</param>
    /// <returns>A task that completes when the database deleted it.</returns>
    /// <exception cref="ChatOperationException">The server refused; the session reappears.</exception>
    /// <exception cref="ArgumentException">The store holds no such session (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long token;
        var touched = new List<Guid> { sessionId };
        using (EnterGate())
        {
            RequireSession(sessionId);
            token = _core.NewToken();
            _core.PushSession(token, sessionId, null);
            PublishLocked();
        }

        try
        {
            await _data.DeleteSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
            using (EnterGate())
            {
                _core.ServerSessionDeleted(sessionId);
                PopSessions(token, touched);
                PublishLocked();
            }
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.DeleteSession, sessionId, token, touched, ex);
        }
    }

    /// <summary>Deletes every session of the user (optimistically: they disappear at once).</summary>
    /// <param name="cancellationToken">Cancels the delete (the sessions reappear).</param>
    /// <returns>A task that completes when the database deleted them.</returns>
    /// <exception cref="ChatOperationException">The server refused; the sessions reappear.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public async Task ClearAllSessionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long token;
        List<Guid> touched;
        using (EnterGate())
        {
            token = _core.NewToken();
            touched = [.. _core.VisibleSessions().Select(s => s.Id)];
            foreach (var id in touched)
            {
                _core.PushSession(token, id, null);
            }

            PublishLocked();
        }

        try
        {
            await _data.DeleteAllSessionsAsync(UserId, cancellationToken).ConfigureAwait(false);
            using (EnterGate())
            {
                foreach (var id in touched)
                {
                    _core.ServerSessionDeleted(id);
                }

                PopSessions(token, touched);
                PublishLocked();
            }
        }
        catch (Exception ex)
        {
            throw RollBackSessions(ChatOperation.ClearAllSessions, null, token, touched, ex);
        }
    }

    private void PushDeactivations(long token, Guid keep, List<Guid> touched)
    {
        foreach (var session in _core.VisibleSessions().Where(s => s.IsActive && s.Id != keep).ToList())
        {
            _core.PushSession(token, session.Id, session with { IsActive = false });
            touched.Add(session.Id);
        }
    }

    /// <summary>Applies the RPC's result: the activated row, and the deactivation it made of the others.</summary>
    private void ApplyActivationLocked(IReadOnlyList<ChatSession> rows, Guid activated)
    {
        var activatedAt = DateTimeOffset.MinValue;
        foreach (var row in rows)
        {
            _core.ServerSession(row, isNew: false);
            if (row.Id == activated)
            {
                activatedAt = row.UpdatedAt;
            }
        }

        // The RPC cleared every other active session in the same transaction; a switch made after it
        // (by another client, with a later updated_at) stays.
        var others = new List<ChatSession>();
        foreach (var visible in _core.VisibleSessions())
        {
            if (visible.Id != activated && _core.GetServerSession(visible.Id) is { IsActive: true } server && server.UpdatedAt <= activatedAt)
            {
                others.Add(server);
            }
        }

        foreach (var server in others)
        {
            _core.ServerSession(server with { IsActive = false }, isNew: false);
        }
    }

    private static void ValidateTitle(string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        if (title.Length > MaxTitleLength)
        {
            throw new ArgumentException($"A title has at most {MaxTitleLength} characters.", nameof(title));
        }
    }
}
