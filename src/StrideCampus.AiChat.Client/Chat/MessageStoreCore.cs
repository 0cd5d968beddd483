using System.Collections.Immutable;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The merge logic of <see cref="MessageStore"/>, free of I/O and threads (the store calls it under its lock):
/// the server's rows as last seen, this client's pending writes on top, messages kept in (created_at, id)
/// order, echo and stale-event detection, snapshot reconciliation, and the message cache bound.
/// Every change of the mirrored server state is recorded once and handed out by <see cref="EmitChanges"/>.
/// </summary>
internal sealed partial class MessageStoreCore
{
    private static readonly IReadOnlySet<Guid> NoIds = ImmutableHashSet<Guid>.Empty;

    private readonly Guid _userId;
    private readonly Dictionary<Guid, SessionEntry> _sessions = [];
    private readonly Dictionary<Guid, Guid> _messageSessions = [];
    private const int MaxEarlyMessages = 16;
    private const int MaxEarlyDeltasPerMessage = 1024;

    /// <summary>The most characters of relayed text held for rows not seen yet, all messages together.</summary>
    internal const int MaxEarlyDeltaChars = 512 * 1024;

    private readonly Dictionary<Guid, List<ChatChange>> _loadBuffers = [];
    private readonly Dictionary<Guid, List<StreamDelta>> _earlyDeltas = [];
    private long _earlyDeltaChars;
    private readonly HashSet<Guid> _tentative = [];
    private readonly Tombstones _deleted = new(8192);
    private List<ChatChange> _changes = [];
    private List<ChatChange>? _spareChanges;
    private HashSet<Guid>? _touched;
    private bool _suppressChanges;
    private bool _dirty = true;
    private bool _orderDirty = true;
    private ChatSessionState[] _ordered = [];
    private long _version;
    private long _nextToken;
    private int _pendingWrites;

    private readonly Func<long> _clock;

    public MessageStoreCore(Guid userId, int maxCachedSessions, TimeSpan cacheExpiry, Func<long>? clock = null)
    {
        _userId = userId;
        _clock = clock ?? (static () => DateTimeOffset.UtcNow.UtcTicks);
        MaxCachedSessions = maxCachedSessions;
        CacheExpiry = cacheExpiry;
    }

    public int MaxCachedSessions { get; }

    public TimeSpan CacheExpiry { get; }

    public long EventsApplied { get; private set; }

    public long EventsIgnored { get; private set; }

    public long Evictions { get; private set; }

    /// <summary>Whether anything visible changed since the last snapshot.</summary>
    public bool IsDirty => _dirty;

    public int PendingWrites => _pendingWrites;

    /// <summary>Whether changes were recorded that <see cref="EmitChanges"/> has not handed out yet.</summary>
    public bool HasChanges => _changes.Count > 0;

    // ---------------------------------------------------------------- queries

    public ChatSession? GetVisibleSession(Guid id) =>
        _sessions.TryGetValue(id, out var s) ? s.Row.Visible : null;

    public ChatSession? GetServerSession(Guid id) =>
        _sessions.TryGetValue(id, out var s) ? s.Row.Server : null;

    public bool AreMessagesLoaded(Guid sessionId) =>
        _sessions.TryGetValue(sessionId, out var s) && s.Messages is not null;

    public ChatMessage? GetVisibleMessage(Guid id) =>
        _messageSessions.TryGetValue(id, out var sid) && _sessions.TryGetValue(sid, out var s) &&
        s.Messages!.TryGetValue(id, out var m) ? m.Row.Visible : null;

    public IReadOnlyList<ChatMessage> GetVisibleMessages(Guid sessionId) =>
        _sessions.TryGetValue(sessionId, out var s) && s.Messages is not null ? s.Sorted.Freeze() : [];

    public IEnumerable<ChatSession> VisibleSessions()
    {
        foreach (var s in _sessions.Values)
        {
            if (s.Row.Visible is { } row)
            {
                yield return row;
            }
        }
    }

    public ChatSession? VisibleActiveSession()
    {
        ChatSession? best = null;
        foreach (var s in _sessions.Values)
        {
            if (s.Row.Visible is { IsActive: true } row && (best is null || row.UpdatedAt > best.UpdatedAt))
            {
                best = row;
            }
        }

        return best;
    }

    // ---------------------------------------------------------------- server rows

    /// <summary>Applies a session row the server confirmed. Returns whether the mirrored state changed.</summary>
    /// <param name="row">The row.</param>
    /// <param name="isNew">Whether the row was just inserted (so it has no messages yet).</param>
    public bool ServerSession(ChatSession row, bool isNew)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!IsOwn(row.UserId) || _deleted.Contains(row.Id))
        {
            return false;
        }

        _touched?.Add(row.Id);
        if (!_sessions.TryGetValue(row.Id, out var s))
        {
            s = new SessionEntry(row.Id) { Messages = isNew ? [] : null, LastAccess = _clock() };
            _sessions.Add(row.Id, s);
        }

        var before = s.Row.Visible;
        var current = s.Row.Server;
        if (current is null)
        {
            s.Row.Server = row;
            Record(ChatChange.Created(row));
        }
        else if (row.UpdatedAt < current.UpdatedAt)
        {
            return false;
        }
        else if (ChatRowComparer.SameContent(current, row))
        {
            s.Row.Server = row; // an echo: only updated_at may move
            AfterSessionChange(s, before);
            return false;
        }
        else
        {
            s.Row.Server = row;
            Record(ChatChange.Updated(row));
        }

        AfterSessionChange(s, before);
        return true;
    }

    /// <summary>Applies a session delete. Deletes of sessions not held are ignored.</summary>
    public bool ServerSessionDeleted(Guid id)
    {
        if (!_sessions.TryGetValue(id, out var s) || s.Row.Server is null)
        {
            _deleted.Add(id); // a page being read may still hold it
            return false;
        }

        _touched?.Add(id);
        _deleted.Add(id);
        var before = s.Row.Visible;
        s.Row.Server = null;
        Record(ChatChange.SessionRemoved(id));
        AfterSessionChange(s, before);
        return true;
    }

    /// <summary>Applies a message row the server confirmed. Returns whether the mirrored state changed.</summary>
    public bool ServerMessage(ChatMessage row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!IsOwn(row.UserId) || _deleted.Contains(row.SessionId))
        {
            return false;
        }

        if (!_sessions.TryGetValue(row.SessionId, out var s) || s.Messages is null)
        {
            return false; // unknown session, or its messages are not in memory (they reload on demand)
        }

        // A message held with a server row in this session is neither deleted (a delete clears the row before
        // the id is tombstoned) nor elsewhere: the usual update skips the tombstone and location lookups.
        if (!s.Messages.TryGetValue(row.Id, out var m) || m.Row.Server is null)
        {
            if (_deleted.Contains(row.Id) || IsBeyondWindow(s, row))
            {
                return false;
            }

            if (_messageSessions.TryGetValue(row.Id, out var oldSessionId) && oldSessionId != row.SessionId)
            {
                DropMessage(oldSessionId, row.Id);
            }

            m = GetOrAddMessage(s, row.Id);
        }

        _touched?.Add(row.Id);
        var before = m.Row.Visible;
        var current = m.Row.Server;
        if (current is null)
        {
            m.Row.Server = row;
            Record(ChatChange.Created(row));
            AfterMessageChange(s, m, row.Id, before);
            ReplayEarlyDeltas(row.Id);
            return true;
        }
        else if (row.UpdatedAt < current.UpdatedAt)
        {
            return false;
        }
        else if (ChatRowComparer.SameContent(current, row))
        {
            m.Row.Server = row;
            AfterMessageChange(s, m, row.Id, before);
            return false;
        }
        else
        {
            m.Row.Server = row;
            if (SettleTentative(row.Id, m) && before is not null && before.Content == m.Row.Tentative!.Content && before.Status == row.Status)
            {
                // The database caught up with text the relay already showed.
                AfterMessageChange(s, m, row.Id, before);
                return false;
            }

            Record(ChatChange.Updated(m.Row.Tentative ?? row));
        }

        AfterMessageChange(s, m, row.Id, before);
        return true;
    }

    /// <summary>Applies a message delete. Deletes of messages not held are ignored.</summary>
    public bool ServerMessageDeleted(Guid id)
    {
        if (!_messageSessions.TryGetValue(id, out var sessionId) || !_sessions.TryGetValue(sessionId, out var s) ||
            s.Messages is null || !s.Messages.TryGetValue(id, out var m) || m.Row.Server is null)
        {
            _deleted.Add(id); // a page being read may still hold it
            return false;
        }

        _touched?.Add(id);
        _deleted.Add(id);
        var before = m.Row.Visible;
        m.Row.Server = null;
        m.Row.Tentative = null;
        _tentative.Remove(id);
        Record(ChatChange.MessageRemoved(id));
        AfterMessageChange(s, m, id, before);
        return true;
    }

    /// <summary>Applies a realtime change and counts it as applied or ignored.</summary>
    public bool ApplyFeedChange(ChatChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        bool applied;
        switch (change.Kind)
        {
            case ChatChangeKind.SessionCreated or ChatChangeKind.SessionUpdated when change.Session is not null:
                applied = ServerSession(change.Session, change.Kind == ChatChangeKind.SessionCreated);
                break;
            case ChatChangeKind.SessionDeleted:
                applied = ServerSessionDeleted(change.Id);
                break;
            case ChatChangeKind.MessageCreated or ChatChangeKind.MessageUpdated when change.Message is not null:
                if (_loadBuffers.TryGetValue(change.Message.SessionId, out var buffer))
                {
                    buffer.Add(change);
                    return false;
                }

                applied = ServerMessage(change.Message);
                break;
            case ChatChangeKind.MessageDeleted:
                foreach (var b in _loadBuffers.Values)
                {
                    b.Add(change);
                }

                applied = ServerMessageDeleted(change.Id);
                break;
            default:
                applied = false;
                break;
        }

        if (applied)
        {
            EventsApplied++;
        }
        else
        {
            EventsIgnored++;
        }

        return applied;
    }

    // ---------------------------------------------------------------- relayed tokens of streamed replies

    /// <summary>
    /// Grows a streaming message that another client is writing with relayed text, ahead of the database.
    /// Deltas that do not line up with what is shown (a gap, a stale copy) are ignored: the next database
    /// write brings the text anyway. Returns whether the visible message changed.
    /// </summary>
    public bool ApplyRelayDelta(StreamDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (_deleted.Contains(delta.MessageId) || _deleted.Contains(delta.SessionId))
        {
            return false;
        }

        if (!TryGetMessage(delta.MessageId, out var s, out var m) || m.Row.Server is null)
        {
            // Tokens can outrun the row's insert event: keep a few until it arrives.
            if (_sessions.TryGetValue(delta.SessionId, out var session) && session.Messages is not null)
            {
                BufferEarlyDelta(delta);
            }

            return false;
        }

        // This client's own stream or edit (pending) shows its own text; a finished message is final.
        if (m.Row.HasPending || m.Row.Server is not { Status: MessageStatus.Streaming } server)
        {
            return false;
        }

        var shown = (m.Row.Tentative ?? server).Content;
        var end = (long)delta.Offset + delta.Text.Length;
        if (delta.Offset > shown.Length || end <= shown.Length ||
            !delta.Text.AsSpan(0, shown.Length - delta.Offset).SequenceEqual(shown.AsSpan(delta.Offset)))
        {
            return false;
        }

        var before = m.Row.Visible;
        m.Row.Tentative = server with { Content = string.Concat(shown, delta.Text.AsSpan(shown.Length - delta.Offset)) };
        m.TentativeSince = _clock();
        _tentative.Add(delta.MessageId);
        Record(ChatChange.Updated(m.Row.Tentative));
        AfterMessageChange(s, m, delta.MessageId, before);
        EventsApplied++;
        return true;
    }

    /// <summary>Keeps the relayed text while it extends what the database holds of a streaming reply; drops it otherwise.</summary>
    private bool SettleTentative(Guid id, MessageEntry m)
    {
        if (m.Row.Tentative is not { } relayed)
        {
            return false;
        }

        if (m.Row.Server is { Status: MessageStatus.Streaming } server && relayed.Content.Length > server.Content.Length &&
            relayed.Content.StartsWith(server.Content, StringComparison.Ordinal))
        {
            m.Row.Tentative = server with { Content = relayed.Content };
            return true;
        }

        m.Row.Tentative = null;
        _tentative.Remove(id);
        return false;
    }

    /// <summary>
    /// Drops relayed text that the database has not caught up with for <paramref name="maxAgeTicks"/> since it
    /// last grew: its writer stopped (its writes failed, or it is gone), so the database row is what holds.
    /// Returns whether anything visible changed.
    /// </summary>
    public bool ExpireTentatives(long nowTicks, long maxAgeTicks)
    {
        var changed = false;
        foreach (var id in _tentative.ToList())
        {
            if (!TryGetMessage(id, out var s, out var m) || m.Row.Tentative is null)
            {
                _tentative.Remove(id);
                continue;
            }

            if (nowTicks - m.TentativeSince < maxAgeTicks)
            {
                continue;
            }

            var before = m.Row.Visible;
            m.Row.Tentative = null;
            _tentative.Remove(id);
            if (!m.Row.HasPending && m.Row.Server is { } server)
            {
                Record(ChatChange.Updated(server));
            }

            AfterMessageChange(s, m, id, before);
            changed = true;
        }

        return changed;
    }

    /// <summary>Whether relayed text is shown anywhere (the store then checks its age).</summary>
    public bool HasTentatives => _tentative.Count > 0;

    private void BufferEarlyDelta(StreamDelta delta)
    {
        if (!_earlyDeltas.TryGetValue(delta.MessageId, out var list))
        {
            if (_earlyDeltas.Count >= MaxEarlyMessages)
            {
                _earlyDeltas.Clear(); // rows that never arrived (deleted, or not ours to see): start over
                _earlyDeltaChars = 0;
            }

            _earlyDeltas[delta.MessageId] = list = [];
        }

        // Bounded in size too: a delta dropped here is repaired by the next one or by the row's database write.
        if (list.Count < MaxEarlyDeltasPerMessage && _earlyDeltaChars + delta.Text.Length <= MaxEarlyDeltaChars)
        {
            list.Add(delta);
            _earlyDeltaChars += delta.Text.Length;
        }
    }

    private void ReplayEarlyDeltas(Guid messageId)
    {
        if (_earlyDeltas.Remove(messageId, out var list))
        {
            _earlyDeltaChars -= list.Sum(d => (long)d.Text.Length);
            foreach (var delta in list)
            {
                ApplyRelayDelta(delta);
            }
        }
    }

    // ---------------------------------------------------------------- snapshots (initial load, reconcile)

    /// <summary>Starts recording the ids that changes touch, so a snapshot fetched meanwhile does not undo them.</summary>
    public void BeginReconcile() => _touched = [];

    public void AbortReconcile() => _touched = null;

    /// <summary>
    /// Makes the mirrored state equal to a server snapshot (rows touched by changes since
    /// <see cref="BeginReconcile"/> keep their newer value), recording each difference as a change
    /// unless <paramref name="initial"/>.
    /// </summary>
    public void Reconcile(IReadOnlyList<ChatSessionRow> snapshot, bool initial, long nowTicks)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var touched = _touched ?? [];
        _touched = null;
        _suppressChanges = initial;
        try
        {
            var seen = new HashSet<Guid>();
            foreach (var row in snapshot)
            {
                if (!IsOwn(row.UserId))
                {
                    continue;
                }

                seen.Add(row.Id);
                ReconcileSession(row, touched, nowTicks);
            }

            foreach (var s in _sessions.Values.ToList())
            {
                if (s.Row.Server is not null && !seen.Contains(s.Id) && !touched.Contains(s.Id))
                {
                    ServerSessionDeleted(s.Id);
                }
            }
        }
        finally
        {
            _suppressChanges = false;
        }
    }

    private void ReconcileSession(ChatSessionRow row, HashSet<Guid> touched, long nowTicks)
    {
        SessionEntry? s;
        if (touched.Contains(row.Id))
        {
            // A change newer than the snapshot decided the session row (or deleted it); the messages
            // still come from the snapshot, or those missed while disconnected would stay missing.
            if (!_sessions.TryGetValue(row.Id, out s) || s.Row.Server is null)
            {
                return;
            }
        }
        else
        {
            s = ReconcileSessionRow(row.ToSession(), nowTicks);
        }

        if (s.Messages is null || row.AiChatMessages is null)
        {
            return;
        }

        var seen = new HashSet<Guid>();
        foreach (var message in row.AiChatMessages)
        {
            seen.Add(message.Id);
            if (touched.Contains(message.Id) || !IsOwn(message.UserId))
            {
                continue;
            }

            _deleted.Remove(message.Id);
            ServerMessageAuthoritative(s, message);
        }

        foreach (var (id, m) in s.Messages.ToList())
        {
            if (m.Row.Server is not null && !seen.Contains(id) && !touched.Contains(id))
            {
                ServerMessageDeleted(id);
            }
        }
    }

    private SessionEntry ReconcileSessionRow(ChatSession session, long nowTicks, bool loadedMessages = true)
    {
        _deleted.Remove(session.Id);
        if (!_sessions.TryGetValue(session.Id, out var s))
        {
            s = new SessionEntry(session.Id) { Messages = loadedMessages ? [] : null, LastAccess = nowTicks };
            _sessions.Add(session.Id, s);
        }

        var before = s.Row.Visible;
        var current = s.Row.Server;
        if (current is null)
        {
            s.Row.Server = session;
            Record(ChatChange.Created(session));
            AfterSessionChange(s, before);
        }
        else if (!ChatRowComparer.SameContent(current, session))
        {
            s.Row.Server = session;
            Record(ChatChange.Updated(session));
            AfterSessionChange(s, before);
        }
        else if (current.UpdatedAt != session.UpdatedAt)
        {
            s.Row.Server = session;
            AfterSessionChange(s, before);
        }

        return s;
    }

    private void ServerMessageAuthoritative(SessionEntry s, ChatMessage row)
    {
        if (_messageSessions.TryGetValue(row.Id, out var oldSessionId) && oldSessionId != row.SessionId)
        {
            DropMessage(oldSessionId, row.Id);
        }

        var m = GetOrAddMessage(s, row.Id);
        var before = m.Row.Visible;
        var current = m.Row.Server;
        if (current is null)
        {
            m.Row.Server = row;
            Record(ChatChange.Created(row));
        }
        else if (!ChatRowComparer.SameContent(current, row))
        {
            m.Row.Server = row;
            SettleTentative(row.Id, m);
            Record(ChatChange.Updated(m.Row.Tentative ?? row));
        }
        else if (current.UpdatedAt != row.UpdatedAt)
        {
            m.Row.Server = row;
        }
        else
        {
            return;
        }

        AfterMessageChange(s, m, row.Id, before);
    }

    // ---------------------------------------------------------------- loading one session's messages on demand

    /// <summary>Buffers realtime message changes of the session until <see cref="CompleteMessageLoad"/>.</summary>
    public void BeginMessageLoad(Guid sessionId) => _loadBuffers.TryAdd(sessionId, []);

    public void AbortMessageLoad(Guid sessionId) => _loadBuffers.Remove(sessionId);

    // ---------------------------------------------------------------- this client's writes

    public long NewToken() => ++_nextToken;

    /// <summary>Shows a pending session write (<paramref name="value"/> null: a pending delete).</summary>
    public void PushSession(long token, Guid id, ChatSession? value)
    {
        if (!_sessions.TryGetValue(id, out var s))
        {
            s = new SessionEntry(id) { Messages = [], LastAccess = _clock() };
            _sessions.Add(id, s);
        }

        var before = s.Row.Visible;
        s.Row.Push(token, value);
        _pendingWrites++;
        AfterSessionChange(s, before);
    }

    /// <summary>Ends a pending session write (after its confirmation was applied, or to roll it back).</summary>
    public void PopSession(long token, Guid id)
    {
        if (!_sessions.TryGetValue(id, out var s))
        {
            return;
        }

        var before = s.Row.Visible;
        if (s.Row.Remove(token))
        {
            _pendingWrites--;
        }

        AfterSessionChange(s, before);
    }

    /// <summary>Shows a pending message write (<paramref name="value"/> null: a pending delete).</summary>
    public bool PushMessage(long token, Guid sessionId, Guid id, ChatMessage? value)
    {
        if (!_sessions.TryGetValue(sessionId, out var s) || s.Messages is null)
        {
            return false;
        }

        var m = GetOrAddMessage(s, id);
        var before = m.Row.Visible;
        m.Row.Push(token, value);
        _pendingWrites++;
        AfterMessageChange(s, m, id, before);
        return true;
    }

    /// <summary>Changes the value of a pending message write (a streamed reply growing).</summary>
    public void ReplaceMessage(long token, Guid id, ChatMessage? value)
    {
        if (!TryGetMessage(id, out var s, out var m))
        {
            return;
        }

        var before = m.Row.Visible;
        if (m.Row.Replace(token, value))
        {
            AfterMessageChange(s, m, id, before);
        }
    }

    public void PopMessage(long token, Guid id)
    {
        if (!TryGetMessage(id, out var s, out var m))
        {
            return;
        }

        var before = m.Row.Visible;
        if (m.Row.Remove(token))
        {
            _pendingWrites--;
        }

        AfterMessageChange(s, m, id, before);
    }

    // ---------------------------------------------------------------- cache bound

    /// <summary>Marks a session's messages as just used (LRU).</summary>
    public void Touch(Guid sessionId, long nowTicks)
    {
        if (_sessions.TryGetValue(sessionId, out var s))
        {
            s.LastAccess = nowTicks;
        }
    }

    /// <summary>
    /// Drops the messages of sessions idle past the expiry, then of the least recently used beyond the bound.
    /// The active session, sessions with pending message writes and sessions being loaded keep theirs.
    /// </summary>
    public int EnforceCacheBound(long nowTicks)
    {
        var active = VisibleActiveSession()?.Id;
        var loaded = 0;
        List<SessionEntry>? candidates = null;
        foreach (var s in _sessions.Values)
        {
            if (s.Messages is null)
            {
                continue;
            }

            loaded++;
            if (s.Id != active && s.PendingMessages.Count == 0 && !_loadBuffers.ContainsKey(s.Id))
            {
                (candidates ??= []).Add(s);
            }
        }

        if (candidates is null)
        {
            return 0;
        }

        var evicted = 0;
        var expiryTicks = CacheExpiry.Ticks;
        candidates.Sort(static (a, b) =>
        {
            var c = a.LastAccess.CompareTo(b.LastAccess);
            return c != 0 ? c : LastActivity(a).CompareTo(LastActivity(b));
        });
        foreach (var s in candidates)
        {
            if (nowTicks - s.LastAccess >= expiryTicks || loaded > MaxCachedSessions)
            {
                Evict(s);
                loaded--;
                evicted++;
            }
        }

        return evicted;
    }

    private static DateTimeOffset LastActivity(SessionEntry s)
    {
        var row = s.Row.Visible ?? s.Row.Server;
        var last = row?.UpdatedAt ?? DateTimeOffset.MinValue;
        return s.Sorted.Last is { } newest && newest.CreatedAt > last ? newest.CreatedAt : last;
    }

    private void Evict(SessionEntry s)
    {
        foreach (var id in s.Messages!.Keys)
        {
            _messageSessions.Remove(id);
        }

        s.Messages = null;
        s.Sorted.Clear();
        s.Cached = null;
        s.OlderCursor = null;
        Evictions++;
        _dirty = true;
    }

    // ---------------------------------------------------------------- snapshot and changes

    /// <summary>
    /// Hands the server changes recorded since the last call to <paramref name="emit"/>, in order, without a list
    /// per call (the realtime hot path). Changes recorded while <paramref name="emit"/> runs are handed over too.
    /// </summary>
    public int EmitChanges<TState>(TState state, Action<TState, ChatChange> emit)
    {
        ArgumentNullException.ThrowIfNull(emit);
        var emitted = 0;
        while (_changes.Count > 0)
        {
            var taken = _changes;
            _changes = _spareChanges ?? [];
            _spareChanges = null;
            foreach (var change in taken)
            {
                emit(state, change);
            }

            emitted += taken.Count;
            taken.Clear();
            _spareChanges = taken;
        }

        return emitted;
    }

    public MessageStoreState Snapshot(bool isLoading, bool isInitialized, bool isRealtimeConnected, StoreCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        if (_orderDirty)
        {
            var states = new List<ChatSessionState>(_sessions.Count);
            foreach (var s in _sessions.Values)
            {
                if (BuildState(s) is { } state)
                {
                    states.Add(state);
                }
            }

            states.Sort(static (a, b) =>
            {
                var c = b.Session.CreatedAt.CompareTo(a.Session.CreatedAt);
                return c != 0 ? c : ChatRowComparer.CompareUuid(b.Id, a.Id);
            });
            _ordered = [.. states];
            _orderDirty = false;
        }
        else if (_dirty)
        {
            var copy = new ChatSessionState[_ordered.Length];
            for (var i = 0; i < copy.Length; i++)
            {
                copy[i] = BuildState(_sessions[_ordered[i].Id])!;
            }

            _ordered = copy;
        }

        _dirty = false;
        ChatSessionState? active = null;
        var messageCount = 0;
        var cached = 0;
        foreach (var state in _ordered)
        {
            if (state.IsActive && (active is null || state.Session.UpdatedAt > active.Session.UpdatedAt))
            {
                active = state;
            }

            if (state.MessagesLoaded)
            {
                cached++;
                messageCount += state.Messages.Count;
            }
        }

        var stats = new MessageStoreStats(
            _ordered.Length,
            messageCount,
            cached,
            _pendingWrites,
            EventsApplied,
            EventsIgnored,
            counters.Reconciliations,
            counters.DatabaseQueries,
            counters.CacheHits,
            counters.CacheMisses,
            Evictions,
            counters.LastSyncedAt);
        return new MessageStoreState(_ordered, active, isLoading, isInitialized, isRealtimeConnected, stats, ++_version) { HasMoreSessions = _sessionCursor is not null };
    }

    // ---------------------------------------------------------------- helpers

    private bool IsOwn(Guid userId) => _userId == Guid.Empty || userId == Guid.Empty || userId == _userId;

    private void Record(ChatChange change)
    {
        if (!_suppressChanges)
        {
            _changes.Add(change);
        }
    }

    private bool TryGetMessage(Guid id, out SessionEntry session, out MessageEntry message)
    {
        if (_messageSessions.TryGetValue(id, out var sid) && _sessions.TryGetValue(sid, out session!) &&
            session.Messages is not null && session.Messages.TryGetValue(id, out message!))
        {
            return true;
        }

        session = null!;
        message = null!;
        return false;
    }

    private MessageEntry GetOrAddMessage(SessionEntry s, Guid id)
    {
        if (!s.Messages!.TryGetValue(id, out var m))
        {
            m = new MessageEntry();
            s.Messages.Add(id, m);
            _messageSessions[id] = s.Id;
        }

        return m;
    }

    private void DropMessage(Guid sessionId, Guid id)
    {
        if (_sessions.TryGetValue(sessionId, out var s) && s.Messages is not null && s.Messages.Remove(id, out var m))
        {
            if (m.Row.Visible is { } visible)
            {
                s.Sorted.Remove(visible);
            }

            s.PendingMessages.Remove(id);
            s.Cached = null;
            _dirty = true;
        }

        _messageSessions.Remove(id);
    }

    private void AfterSessionChange(SessionEntry s, ChatSession? before)
    {
        var after = s.Row.Visible;
        if (s.Row.IsEmpty)
        {
            _sessions.Remove(s.Id);
            if (s.Messages is not null)
            {
                foreach (var id in s.Messages.Keys)
                {
                    _messageSessions.Remove(id);
                }
            }
        }

        if (!ReferenceEquals(before, after) || s.Cached?.IsPending != s.Row.HasPending)
        {
            s.Cached = null;
            _dirty = true;
            if (before is null || after is null || before.CreatedAt != after.CreatedAt)
            {
                _orderDirty = true;
            }
        }
    }

    private void AfterMessageChange(SessionEntry s, MessageEntry m, Guid id, ChatMessage? before)
    {
        var after = m.Row.Visible;
        var wasPending = s.PendingMessages.Contains(id);
        if (m.Row.HasPending != wasPending)
        {
            if (m.Row.HasPending)
            {
                s.PendingMessages.Add(id);
            }
            else
            {
                s.PendingMessages.Remove(id);
            }

            s.Cached = null;
            _dirty = true;
        }

        if (m.Row.IsEmpty)
        {
            s.Messages!.Remove(id);
            _messageSessions.Remove(id);
        }

        if (ReferenceEquals(before, after))
        {
            return;
        }

        // An update that keeps the sort key (created_at, id), such as a streamed reply growing, replaces the row
        // in place instead of a removal and an insertion.
        s.Cached = null;
        _dirty = true;
        if (before is not null && after is not null && ChatRowComparer.CompareMessages(before, after) == 0 && s.Sorted.TryReplace(before, after))
        {
            return;
        }

        if (before is not null)
        {
            s.Sorted.Remove(before);
        }

        if (after is not null)
        {
            s.Sorted.Add(after);
        }
    }

    private static ChatSessionState? BuildState(SessionEntry s)
    {
        if (s.Cached is not null)
        {
            return s.Cached;
        }

        if (s.Row.Visible is not { } row)
        {
            return null;
        }

        var pending = s.PendingMessages.Count == 0 ? NoIds : s.PendingMessages.ToImmutableHashSet();
        s.Cached = new ChatSessionState(row, s.Messages is null ? [] : s.Sorted.Freeze(), s.Messages is not null, s.Row.HasPending, pending)
        {
            HasOlderMessages = s.Messages is not null && s.OlderCursor is not null,
        };
        return s.Cached;
    }

    private sealed class SessionEntry(Guid id)
    {
        public Guid Id { get; } = id;

        public Overlay<ChatSession> Row { get; } = new();

        /// <summary>The messages held, or null when they are not in memory.</summary>
        public Dictionary<Guid, MessageEntry>? Messages { get; set; }

        public SortedMessageList Sorted { get; } = new();

        public HashSet<Guid> PendingMessages { get; } = [];

        public long LastAccess { get; set; }

        public ChatSessionState? Cached { get; set; }

        /// <summary>The oldest message loaded by pages while older ones remain in the database; null when none remain.</summary>
        public ChatPageKey? OlderCursor { get; set; }
    }

    /// <summary>A held message: its overlay itself (one object per message, one hop less per change).</summary>
    private sealed class MessageEntry : Overlay<ChatMessage>
    {
        public Overlay<ChatMessage> Row => this;

        /// <summary>When the relayed text last grew (clock ticks).</summary>
        public long TentativeSince { get; set; }
    }
}
