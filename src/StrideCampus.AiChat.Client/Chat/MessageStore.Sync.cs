namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Opening with a page, paging on demand and resyncing only what changed (issue 16).</summary>
public partial class MessageStore
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
    public virtual async Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        Task<IReadOnlyList<ChatMessage>> load;
        Action? start;
        using (EnterGate())
        {
            if (_core.GetVisibleSession(sessionId) is null)
            {
                throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
            }

            ApplyLocked(new StoreEvent.SessionUsed(sessionId, Now));
            if (_core.AreMessagesLoaded(sessionId))
            {
                _counters.CacheHits++;
                return _core.GetVisibleMessages(sessionId);
            }

            _counters.CacheMisses++;
            load = JoinMessagePageLocked(sessionId, null, out start);
        }

        start?.Invoke();
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
    public virtual async Task<IReadOnlyList<ChatMessage>> LoadOlderMessagesAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        while (true)
        {
            Task<IReadOnlyList<ChatMessage>> load;
            Action? start = null;
            var older = false;
            using (EnterGate())
            {
                if (_core.GetVisibleSession(sessionId) is null)
                {
                    throw new ArgumentException($"The store holds no session {sessionId}.", nameof(sessionId));
                }

                ApplyLocked(new StoreEvent.SessionUsed(sessionId, Now));
                if (_olderLoads.TryGetValue(sessionId, out var running))
                {
                    load = running;
                    older = true;
                }
                else if (!_core.AreMessagesLoaded(sessionId))
                {
                    load = JoinMessagePageLocked(sessionId, null, out start);
                }
                else if (_core.GetOlderCursor(sessionId) is { } cursor)
                {
                    load = JoinMessagePageLocked(sessionId, cursor, out start);
                    older = true;
                }
                else
                {
                    return _core.GetVisibleMessages(sessionId);
                }
            }

            start?.Invoke();
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
    public virtual async Task<IReadOnlyList<ChatSessionState>> LoadMoreSessionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        Task<IReadOnlyList<ChatSessionState>> load;
        TaskCompletionSource<IReadOnlyList<ChatSessionState>>? started = null;
        ChatPageKey from = default;
        using (EnterGate())
        {
            if (_sessionPageLoad is { } running)
            {
                load = running;
            }
            else if (!_core.TryGetSessionCursor(out var cursor) || cursor is null)
            {
                return CurrentState.Sessions;
            }
            else
            {
                // Registered here, started after the lock is left: the query's first synchronous part is a call out.
                from = cursor.Value;
                started = new TaskCompletionSource<IReadOnlyList<ChatSessionState>>(TaskCreationOptions.RunContinuationsAsynchronously);
                load = _sessionPageLoad = started.Task;
            }
        }

        if (started is not null)
        {
            _ = Complete(started, LoadSessionPageAsync(from));
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
                ApplyLocked(new StoreEvent.SessionPageLoaded(cursor, rows, _options.SessionPageSize));
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

    /// <summary>
    /// Joins the load of a page of a session's messages (<paramref name="from"/> null: the newest), or registers a new
    /// one that the caller starts with <paramref name="start"/> after leaving the lock: the query's first synchronous
    /// part calls the data source, which must not run under the lock. Call under the lock.
    /// </summary>
    private Task<IReadOnlyList<ChatMessage>> JoinMessagePageLocked(Guid sessionId, ChatPageKey? from, out Action? start)
    {
        var loads = from is null ? _loads : _olderLoads;
        if (loads.TryGetValue(sessionId, out var running))
        {
            start = null;
            return running;
        }

        var load = new TaskCompletionSource<IReadOnlyList<ChatMessage>>(TaskCreationOptions.RunContinuationsAsynchronously);
        loads[sessionId] = load.Task;
        ApplyLocked(new StoreEvent.MessageLoadStarted(sessionId)); // realtime changes of the session wait for the page
        start = () => _ = Complete(load, LoadMessagePageAsync(sessionId, from));
        return load.Task;
    }

    /// <summary>Completes a registered load with the outcome of the query it started.</summary>
    private static async Task Complete<T>(TaskCompletionSource<T> registered, Task<T> query)
    {
        try
        {
            registered.TrySetResult(await query.ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            registered.TrySetException(ex);
        }
    }

    private async Task<IReadOnlyList<ChatMessage>> LoadMessagePageAsync(Guid sessionId, ChatPageKey? from)
    {
        try
        {
            var rows = await _data.LoadMessagePageAsync(sessionId, from, _options.MessagePageSize, _lifetime.Token).ConfigureAwait(false);
            using (EnterGate())
            {
                _counters.DatabaseQueries++;
                ApplyLocked(new StoreEvent.MessagePageLoaded(sessionId, from, rows, _options.MessagePageSize, Now));
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
                ApplyLocked(new StoreEvent.MessageLoadFailed(sessionId));
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
                ApplyLocked(new StoreEvent.ResyncStarted());
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
                    ApplyLocked(new StoreEvent.ResyncEnded());
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
                Action? start;
                using (EnterGate())
                {
                    load = JoinMessagePageLocked(activeId, null, out start);
                }

                start?.Invoke();

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
            ApplyLocked(new StoreEvent.SessionPageLoaded(null, sessions, pageSize));
            if (active is not null)
            {
                ApplyLocked(new StoreEvent.SessionLoaded(active));
            }

            ApplyLocked(new StoreEvent.ResyncEnded());
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
            ApplyLocked(new StoreEvent.ChangesSinceLoaded(changes, Now));
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
