namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Opening with a page, paging on demand and resyncing only what changed (issue 16).</summary>
public sealed partial class MessageStore
{
    private readonly Dictionary<Guid, Task<IReadOnlyList<ChatMessage>>> _olderLoads = [];
    private Task<IReadOnlyList<ChatSessionState>>? _sessionPageLoad;

    /// <summary>The sync point taken before the reads the store holds rows from; null until the store opened.</summary>
    private long? _syncPoint;

    /// <summary>
    /// The messages of a session in chronological order, from memory, or from the database when they are not held
    /// (its newest page, <see cref="MessageStoreOptions.MessagePageSize"/> messages; they then stay in memory and follow
    /// every change). <see cref="ChatSessionState.HasOlderMessages"/> tells whether older ones remain.
    /// </summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The messages held.</returns>
    /// <exception cref="ChatOperationException">The messages could not be loaded.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        Task<IReadOnlyList<ChatMessage>> load;
        using (EnterGate())
        {
            if (_core.GetVisibleSession(sessionId) is null)
            {
                throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
            }

            _core.Touch(sessionId, Now);
            if (_core.AreMessagesLoaded(sessionId))
            {
                _counters.CacheHits++;
                return _core.GetVisibleMessages(sessionId);
            }

            _counters.CacheMisses++;
            load = StartNewestPageLocked(sessionId);
        }

        return await load.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads the page of a session's messages before the oldest held (keyset-paged, <see cref="MessageStoreOptions.MessagePageSize"/>
    /// messages) and returns every message held, in chronological order. Changes arriving meanwhile are merged.
    /// Loads the newest page first when the session's messages are not held; does nothing when none are older.
    /// </summary>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The messages held.</returns>
    /// <exception cref="ChatOperationException">The messages could not be loaded.</exception>
    /// <exception cref="ArgumentException">The store holds no session <paramref name="sessionId"/> (nothing is sent).</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<ChatMessage>> LoadOlderMessagesAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        while (true)
        {
            Task<IReadOnlyList<ChatMessage>> load;
            var older = false;
            using (EnterGate())
            {
                if (_core.GetVisibleSession(sessionId) is null)
                {
                    throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
                }

                _core.Touch(sessionId, Now);
                if (_olderLoads.TryGetValue(sessionId, out var running))
                {
                    load = running;
                    older = true;
                }
                else if (!_core.AreMessagesLoaded(sessionId))
                {
                    load = StartNewestPageLocked(sessionId);
                }
                else if (_core.GetOlderCursor(sessionId) is { } cursor)
                {
                    load = LoadMessagePageAsync(sessionId, cursor);
                    if (!load.IsCompleted)
                    {
                        _olderLoads[sessionId] = load; // a load that completed at once has already removed itself
                    }

                    older = true;
                }
                else
                {
                    return _core.GetVisibleMessages(sessionId);
                }
            }

            var messages = await load.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (older)
            {
                return messages;
            }
        }
    }

    /// <summary>
    /// Loads the page of sessions older than those held (keyset-paged, <see cref="MessageStoreOptions.SessionPageSize"/>
    /// sessions, without their messages) and returns every session held, newest first. Does nothing when
    /// <see cref="MessageStoreState.HasMoreSessions"/> is false.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The sessions held.</returns>
    /// <exception cref="ChatOperationException">The sessions could not be loaded.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<ChatSessionState>> LoadMoreSessionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        Task<IReadOnlyList<ChatSessionState>> load;
        using (EnterGate())
        {
            if (_sessionPageLoad is { } running)
            {
                load = running;
            }
            else if (!_core.TryGetSessionCursor(out var cursor) || cursor is null)
            {
                return Current.Sessions;
            }
            else
            {
                load = LoadSessionPageAsync(cursor.Value);
                _sessionPageLoad = load.IsCompleted ? null : load;
            }
        }

        return await load.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<ChatSessionState>> LoadSessionPageAsync(ChatPageKey cursor)
    {
        try
        {
            var rows = await _data.LoadSessionPageAsync(cursor, _options.SessionPageSize, _lifetime.Token).ConfigureAwait(false);
            using (EnterGate())
            {
                _counters.DatabaseQueries++;
                _core.ApplySessionPage(cursor, rows, _options.SessionPageSize);
                _metaDirty = true;
                PublishLocked();
                return _current.Sessions;
            }
        }
        catch (Exception ex)
        {
            throw new ChatOperationException(ChatOperation.Load, null, ex);
        }
        finally
        {
            using (EnterGate())
            {
                _sessionPageLoad = null;
            }
        }
    }

    /// <summary>Starts (or joins) the load of a session's newest page. Call under the lock.</summary>
    private Task<IReadOnlyList<ChatMessage>> StartNewestPageLocked(Guid sessionId)
    {
        if (!_loads.TryGetValue(sessionId, out var load))
        {
            load = LoadMessagePageAsync(sessionId, null);
            if (!load.IsCompleted)
            {
                _loads[sessionId] = load; // a load that completed at once has already removed itself
            }
        }

        return load;
    }

    private async Task<IReadOnlyList<ChatMessage>> LoadMessagePageAsync(Guid sessionId, ChatPageKey? from)
    {
        using (EnterGate())
        {
            _core.BeginMessageLoad(sessionId);
        }

        try
        {
            var rows = await _data.LoadMessagePageAsync(sessionId, from, _options.MessagePageSize, _lifetime.Token).ConfigureAwait(false);
            using (EnterGate())
            {
                _counters.DatabaseQueries++;
                _core.CompleteMessageLoad(sessionId, from, rows, _options.MessagePageSize, Now);
                EvictLocked(protect: sessionId);
                ChatLog.MessagesLoaded(_logger, sessionId, rows.Count);
                PublishLocked();
                return _core.GetVisibleMessages(sessionId);
            }
        }
        catch (Exception ex)
        {
            using (EnterGate())
            {
                _core.AbortMessageLoad(sessionId);
            }

            throw new ChatOperationException(ChatOperation.Load, sessionId, ex);
        }
        finally
        {
            using (EnterGate())
            {
                (from is null ? _loads : _olderLoads).Remove(sessionId);
            }
        }
    }

    /// <summary>Opens the store (first call) or resyncs it, one at a time.</summary>
    private async Task ReconcileOnceAsync(bool initial, CancellationToken cancellationToken)
    {
        await _reconcileGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long? since;
            using (EnterGate())
            {
                since = _syncPoint;
                _core.BeginReconcile();
                _isLoading = true;
                _metaDirty = true;
                PublishLocked();
            }

            Guid? open;
            try
            {
                open = since is { } point ? await ResyncAsync(point, cancellationToken).ConfigureAwait(false) : await OpenAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                using (EnterGate())
                {
                    _core.AbortReconcile();
                    _isLoading = false;
                    _metaDirty = true;
                    PublishLocked();
                }

                if (initial)
                {
                    ChatLog.StoreLoadFailed(_logger, ex);
                }

                if (ex is OperationCanceledException)
                {
                    throw;
                }

                throw new ChatOperationException(ChatOperation.Load, null, ex);
            }

            if (open is { } activeId)
            {
                // The active session's newest page is part of opening: the store is initialized once it is held.
                Task<IReadOnlyList<ChatMessage>> load;
                using (EnterGate())
                {
                    load = StartNewestPageLocked(activeId);
                }

                try
                {
                    await load.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ChatOperationException ex)
                {
                    ChatLog.StoreLoadFailed(_logger, ex); // the session is shown; its messages load on next use
                }
            }

            using (EnterGate())
            {
                _isInitialized = true;
                _isLoading = false;
                _metaDirty = true;
                PublishLocked();
            }
        }
        finally
        {
            _reconcileGate.Release();
        }
    }

    /// <summary>
    /// Takes a sync point, then reads the newest page of sessions and the active session (when older). Returns the
    /// active session whose messages still need loading.
    /// </summary>
    private async Task<Guid?> OpenAsync(CancellationToken cancellationToken)
    {
        var syncPoint = await _data.GetSyncPointAsync(cancellationToken).ConfigureAwait(false);
        var sessions = await _data.LoadSessionPageAsync(null, _options.SessionPageSize, cancellationToken).ConfigureAwait(false);
        var pageSize = _options.SessionPageSize;
        var active = sessions.Take(pageSize).FirstOrDefault(s => s.IsActive);
        var queries = 2;
        if (active is null && sessions.Count > pageSize)
        {
            active = await _data.LoadActiveSessionAsync(cancellationToken).ConfigureAwait(false);
            queries++;
        }

        using (EnterGate())
        {
            _counters.DatabaseQueries += queries;
            _core.ApplySessionPage(null, sessions, pageSize);
            if (active is not null)
            {
                _core.ApplyLoadedSession(active);
            }

            _core.AbortReconcile();
            _syncPoint = syncPoint;
            _counters.LastSyncedAt = _time.GetUtcNow();
            EvictLocked(protect: null);
            PublishLocked();
            ChatLog.StoreLoaded(_logger, Math.Min(sessions.Count, pageSize), 0);
            return _core.VisibleActiveSession() is { } shown && !_core.AreMessagesLoaded(shown.Id) ? shown.Id : null;
        }
    }

    /// <summary>
    /// Takes a new sync point, then fetches the rows written and deletions logged at or after the previous one and
    /// applies them: the cost follows what changed, not the history. Anything committed late by a transaction that
    /// began before the previous sync point has a transaction id at or above it, so it is among them.
    /// </summary>
    private async Task<Guid?> ResyncAsync(long since, CancellationToken cancellationToken)
    {
        var next = await _data.GetSyncPointAsync(cancellationToken).ConfigureAwait(false);
        var changes = await _data.LoadChangesSinceAsync(since, cancellationToken).ConfigureAwait(false);
        using (EnterGate())
        {
            _counters.DatabaseQueries += 4;
            _core.ApplyChangesSince(changes, Now);
            _syncPoint = next;
            _counters.Reconciliations++;
            _counters.LastSyncedAt = _time.GetUtcNow();
            EvictLocked(protect: null);
            var published = PublishLocked();
            ChatLog.Reconciled(_logger, published);
            return _core.VisibleActiveSession() is { } shown && !_core.AreMessagesLoaded(shown.Id) ? shown.Id : null;
        }
    }
}
