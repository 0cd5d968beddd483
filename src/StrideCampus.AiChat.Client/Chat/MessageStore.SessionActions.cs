using System.Text.Json.Nodes;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Session actions: each shows its change at once, then confirms it with the server or rolls it back.</summary>
public partial class MessageStore
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
    public virtual async Task<ChatSession> CreateSessionAsync(string? title = null, bool activate = true, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        title ??= _options.DefaultSessionTitle;
        ValidateTitle(title);
        var id = Guid.NewGuid();
        var now = _time.GetUtcNow();
        var optimistic = new ChatSession(id, _userId, title, activate, now, now);
        return await WriteAsync(new OptimisticWrite<ChatSession, ChatSession>
        {
            Operation = ChatOperation.CreateSession,
            Id = id,
            Show = change =>
            {
                change.ShowSession(id, optimistic);
                if (activate)
                {
                    ShowDeactivations(change, id);
                }

                ApplyLocked(new StoreEvent.SessionUsed(id, Now));
            },
            Call = async ct =>
            {
                var row = await _data.UpsertSessionAsync(
                    optimistic with { IsActive = false, CreatedAt = default, UpdatedAt = default }, ct).ConfigureAwait(false);
                using (EnterGate())
                {
                    ApplyLocked(new StoreEvent.SessionConfirmed(row, true));
                    PublishLocked();
                }

                if (activate)
                {
                    var rows = await _data.SetActiveSessionAsync(id, ct).ConfigureAwait(false);
                    using (EnterGate())
                    {
                        ApplyActivationLocked(rows, id);
                    }
                }

                return row;
            },
            Result = row => _core.GetVisibleSession(id) ?? row,
        }, cancellationToken).ConfigureAwait(false);
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
    public virtual async Task<ChatSession> RenameSessionAsync(Guid sessionId, string title, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateTitle(title);
        return await WriteAsync(new OptimisticWrite<ChatSession, ChatSession>
        {
            Operation = ChatOperation.UpdateSession,
            Id = sessionId,
            Show = change => change.ShowSession(sessionId, RequireSession(sessionId) with { Title = title }),
            Call = async ct => await _data.UpdateSessionAsync(sessionId, new JsonObject { ["title"] = title }, ct).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"Session {sessionId} no longer exists."),
            Apply = row => ApplyLocked(new StoreEvent.SessionConfirmed(row, false)),
            Result = row => _core.GetVisibleSession(sessionId) ?? row,
        }, cancellationToken).ConfigureAwait(false);
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
    public virtual async Task<ChatSessionState> SwitchToSessionAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return await WriteAsync(new OptimisticWrite<bool, ChatSessionState>
        {
            Operation = ChatOperation.SwitchSession,
            Id = sessionId,
            Show = change =>
            {
                change.ShowSession(sessionId, RequireSession(sessionId) with { IsActive = true });
                ShowDeactivations(change, sessionId);
                ApplyLocked(new StoreEvent.SessionUsed(sessionId, Now));
            },
            Call = async ct =>
            {
                var load = LoadMessagesAsync(sessionId, ct);
                var rows = await _data.SetActiveSessionAsync(sessionId, ct).ConfigureAwait(false);
                using (EnterGate())
                {
                    ApplyActivationLocked(rows, sessionId);
                    PublishLocked();
                }

                await load.ConfigureAwait(false);
                return true;
            },
            Result = _ => FindSession(sessionId) ?? throw new KeyNotFoundException($"Session {sessionId} was deleted meanwhile."),
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a session and its messages (optimistically: it disappears at once).</summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the delete (the session reappears).</param>
    /// <returns>A task that completes when the database deleted it.</returns>
    /// <exception cref="ChatOperationException">The server refused; the session reappears.</exception>
    /// <exception cref="ArgumentException">The store holds no such session (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public virtual async Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await WriteAsync(new OptimisticWrite<bool, bool>
        {
            Operation = ChatOperation.DeleteSession,
            Id = sessionId,
            Show = change =>
            {
                RequireSession(sessionId);
                change.ShowSession(sessionId, null);
            },
            Call = async ct =>
            {
                await _data.DeleteSessionAsync(sessionId, ct).ConfigureAwait(false);
                return true;
            },
            Apply = _ => ApplyLocked(new StoreEvent.SessionDeleted(sessionId)),
            Result = _ => true,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes every session of the user (optimistically: they disappear at once).</summary>
    /// <param name="cancellationToken">Cancels the delete (the sessions reappear).</param>
    /// <returns>A task that completes when the database deleted them.</returns>
    /// <exception cref="ChatOperationException">The server refused; the sessions reappear.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; any optimistic change was rolled back.</exception>
    public virtual async Task ClearAllSessionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var deleted = new List<Guid>();
        await WriteAsync(new OptimisticWrite<bool, bool>
        {
            Operation = ChatOperation.ClearAllSessions,
            Show = change =>
            {
                deleted.AddRange(_core.VisibleSessions().Select(s => s.Id));
                foreach (var id in deleted)
                {
                    change.ShowSession(id, null);
                }
            },
            Call = async ct =>
            {
                await _data.DeleteAllSessionsAsync(_userId, ct).ConfigureAwait(false);
                return true;
            },
            Apply = _ =>
            {
                foreach (var id in deleted)
                {
                    ApplyLocked(new StoreEvent.SessionDeleted(id));
                }
            },
            Result = _ => true,
        }, cancellationToken).ConfigureAwait(false);
    }

    private void ShowDeactivations(PendingChange change, Guid keep)
    {
        foreach (var session in _core.VisibleSessions().Where(s => s.IsActive && s.Id != keep).ToList())
        {
            change.ShowSession(session.Id, session with { IsActive = false });
        }
    }

    /// <summary>Applies the RPC's result: the activated row, and the deactivation it made of the others.</summary>
    private void ApplyActivationLocked(IReadOnlyList<ChatSession> rows, Guid activated)
    {
        var activatedAt = DateTimeOffset.MinValue;
        foreach (var row in rows)
        {
            ApplyLocked(new StoreEvent.SessionConfirmed(row, false));
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
            ApplyLocked(new StoreEvent.SessionConfirmed(server with { IsActive = false }, false));
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
