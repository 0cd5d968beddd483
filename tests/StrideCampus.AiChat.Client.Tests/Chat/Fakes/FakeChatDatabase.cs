using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>
/// An in-memory stand-in for the database behind PostgREST: assigns created_at/updated_at, upserts on id,
/// cascades deletes, implements the active-session RPC, and (when <see cref="Feed"/> is set and
/// <see cref="EmitChanges"/> is on) publishes every committed change like realtime does.
/// </summary>
internal sealed class FakeChatDatabase : IChatDataSource
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, ChatSession> _sessions = [];
    private readonly Dictionary<Guid, ChatMessage> _messages = [];
    private DateTimeOffset _clock = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // The transaction ids of ai_chat_sync_point() and sync_xid: every write is one transaction, done under the lock.
    private readonly Dictionary<Guid, long> _rowXids = [];
    private readonly List<(long Xid, ChatDeletion Deletion)> _deletions = [];
    private long _xid = 100;
    private int _inFlightWrites;

    public FakeChatDatabase(Guid userId, FakeChangeFeed? feed = null)
    {
        UserId = userId;
        Feed = feed;
    }

    public Guid UserId { get; }

    public FakeChangeFeed? Feed { get; }

    public bool EmitChanges { get; set; } = true;

    /// <summary>Called before a call does anything (name of the method); may await or throw.</summary>
    public Func<string, Task>? BeforeCall { get; set; }

    /// <summary>Called after a write committed (name of the method); may throw to simulate a lost response.</summary>
    public Action<string>? AfterCommit { get; set; }

    public ConcurrentDictionary<string, int> Calls { get; } = new();

    public int MaxConcurrentWrites { get; private set; }

    public List<string> MessageWrites { get; } = [];

    public int CallCount(string name) => Calls.TryGetValue(name, out var n) ? n : 0;

    // ---------------------------------------------------------------- direct manipulation (another client, no events)

    /// <summary>Records a write of the row in a new transaction (call under the lock).</summary>
    private void Stamp(Guid id) => _rowXids[id] = ++_xid;

    /// <summary>Logs a deletion as the database trigger does (call under the lock).</summary>
    private void LogDeletion(bool session, Guid rowId, Guid sessionId)
    {
        _rowXids.Remove(rowId);
        var xid = ++_xid;
        _deletions.Add((xid, new ChatDeletion(xid, session ? "ai_chat_sessions" : "ai_chat_messages", rowId, sessionId)));
    }

    public DateTimeOffset Tick()
    {
        lock (_lock)
        {
            _clock = _clock.AddTicks(10);
            return _clock;
        }
    }

    public ChatSession SeedSession(string title, bool active = false, Guid? userId = null)
    {
        var now = Tick();
        var s = new ChatSession(Guid.NewGuid(), userId ?? UserId, title, active, now, now);
        lock (_lock)
        {
            _sessions[s.Id] = s;
            Stamp(s.Id);
        }

        return s;
    }

    public ChatMessage SeedMessage(Guid sessionId, string content, bool isUser = true, DateTimeOffset? createdAt = null)
    {
        var now = Tick();
        var m = new ChatMessage(Guid.NewGuid(), sessionId, UserId, content, isUser, MessageStatus.Complete, createdAt ?? now, now, []);
        lock (_lock)
        {
            _messages[m.Id] = m;
            Stamp(m.Id);
        }

        return m;
    }

    public ChatSession RenameDirect(Guid id, string title)
    {
        lock (_lock)
        {
            var s = _sessions[id] with { Title = title, UpdatedAt = Tick() };
            _sessions[id] = s;
            Stamp(id);
            return s;
        }
    }

    public ChatMessage EditDirect(Guid id, string content)
    {
        lock (_lock)
        {
            var m = _messages[id] with { Content = content, UpdatedAt = Tick() };
            _messages[id] = m;
            Stamp(id);
            return m;
        }
    }

    public void DeleteMessageDirect(Guid id)
    {
        lock (_lock)
        {
            if (_messages.Remove(id, out var m))
            {
                LogDeletion(false, id, m.SessionId);
            }
        }
    }

    public void DeleteSessionDirect(Guid id)
    {
        lock (_lock)
        {
            if (_sessions.Remove(id))
            {
                LogDeletion(true, id, id);
            }

            foreach (var m in _messages.Values.Where(m => m.SessionId == id).ToList())
            {
                _messages.Remove(m.Id);
                _rowXids.Remove(m.Id);
            }
        }
    }

    public IReadOnlyList<ChatSessionRow> Snapshot()
    {
        lock (_lock)
        {
            return _sessions.Values.Where(s => s.UserId == UserId)
                .OrderByDescending(s => s.CreatedAt)
                .Select(s => new ChatSessionRow(s.Id, s.UserId, s.Title, s.IsActive, s.CreatedAt, s.UpdatedAt,
                    _messages.Values.Where(m => m.SessionId == s.Id).Order(ChatRowComparer.MessageOrder).ToList()))
                .ToList();
        }
    }

    public ChatMessage? GetMessage(Guid id)
    {
        lock (_lock)
        {
            return _messages.GetValueOrDefault(id);
        }
    }

    public int MessageCount
    {
        get
        {
            lock (_lock)
            {
                return _messages.Count;
            }
        }
    }

    // ---------------------------------------------------------------- IChatDataSource

    public async Task<IReadOnlyList<ChatSessionRow>> LoadSessionsWithMessagesAsync(CancellationToken cancellationToken)
    {
        await Enter(nameof(LoadSessionsWithMessagesAsync));
        return Snapshot();
    }

    public async Task<IReadOnlyList<ChatSession>> LoadSessionsAsync(CancellationToken cancellationToken)
    {
        await Enter(nameof(LoadSessionsAsync));
        lock (_lock)
        {
            return _sessions.Values.Where(s => s.UserId == UserId).ToList();
        }
    }

    public async Task<IReadOnlyList<Guid>> LoadMessageIdsAsync(Guid? sessionId, CancellationToken cancellationToken)
    {
        await Enter(nameof(LoadMessageIdsAsync));
        lock (_lock)
        {
            return _messages.Values.Where(m => m.UserId == UserId && (sessionId is null || m.SessionId == sessionId)).Select(m => m.Id).ToList();
        }
    }

    public async Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await Enter(nameof(LoadMessagesAsync));
        lock (_lock)
        {
            return _messages.Values.Where(m => m.SessionId == sessionId).Order(ChatRowComparer.MessageOrder).ToList();
        }
    }

    public async Task<long> GetSyncPointAsync(CancellationToken cancellationToken)
    {
        await Enter(nameof(GetSyncPointAsync));
        lock (_lock)
        {
            return _xid + 1;
        }
    }

    public async Task<IReadOnlyList<ChatSession>> LoadSessionPageAsync(ChatPageKey? before, int limit, CancellationToken cancellationToken)
    {
        await Enter(nameof(LoadSessionPageAsync));
        lock (_lock)
        {
            return _sessions.Values.Where(s => s.UserId == UserId && (before is not { } b || ChatPageKey.Of(s).IsOlderThan(b)))
                .OrderByDescending(ChatPageKey.Of, PageKeyOrder).Take(limit + 1).ToList();
        }
    }

    public async Task<ChatSession?> LoadActiveSessionAsync(CancellationToken cancellationToken)
    {
        await Enter(nameof(LoadActiveSessionAsync));
        lock (_lock)
        {
            return _sessions.Values.FirstOrDefault(s => s.UserId == UserId && s.IsActive);
        }
    }

    public async Task<IReadOnlyList<ChatMessage>> LoadMessagePageAsync(Guid sessionId, ChatPageKey? before, int limit, CancellationToken cancellationToken)
    {
        await Enter(nameof(LoadMessagePageAsync));
        lock (_lock)
        {
            return _messages.Values.Where(m => m.SessionId == sessionId && (before is not { } b || ChatPageKey.Of(m).IsOlderThan(b)))
                .OrderByDescending(ChatPageKey.Of, PageKeyOrder).Take(limit + 1).ToList();
        }
    }

    public async Task<ChatChangesSince> LoadChangesSinceAsync(long syncPoint, CancellationToken cancellationToken)
    {
        await Enter(nameof(LoadChangesSinceAsync));
        lock (_lock)
        {
            bool Since(Guid id) => _rowXids.TryGetValue(id, out var xid) && xid >= syncPoint;
            return new ChatChangesSince(
                _sessions.Values.Where(s => s.UserId == UserId && Since(s.Id)).ToList(),
                _messages.Values.Where(m => m.UserId == UserId && Since(m.Id)).ToList(),
                _deletions.Where(d => d.Xid >= syncPoint).Select(d => d.Deletion).ToList());
        }
    }

    private static readonly IComparer<ChatPageKey> PageKeyOrder =
        Comparer<ChatPageKey>.Create(static (a, b) => a == b ? 0 : a.IsOlderThan(b) ? -1 : 1);

    public async Task<ChatSession> UpsertSessionAsync(ChatSession session, CancellationToken cancellationToken)
    {
        await EnterWrite(nameof(UpsertSessionAsync));
        try
        {
            ChatSession row;
            bool created;
            lock (_lock)
            {
                var now = Tick();
                created = !_sessions.TryGetValue(session.Id, out var existing);
                row = created
                    ? session with { UserId = UserId, CreatedAt = now, UpdatedAt = now }
                    : existing! with { Title = session.Title, IsActive = session.IsActive, UpdatedAt = now };
                _sessions[row.Id] = row;
                Stamp(row.Id);
            }

            Publish(created ? ChatChange.Created(row) : ChatChange.Updated(row));
            AfterCommit?.Invoke(nameof(UpsertSessionAsync));
            return row;
        }
        finally
        {
            ExitWrite();
        }
    }

    public async Task<ChatSession?> UpdateSessionAsync(Guid sessionId, JsonObject patch, CancellationToken cancellationToken)
    {
        await EnterWrite(nameof(UpdateSessionAsync));
        try
        {
            ChatSession row;
            lock (_lock)
            {
                if (!_sessions.TryGetValue(sessionId, out var s))
                {
                    return null;
                }

                row = s with
                {
                    Title = patch["title"]?.GetValue<string>() ?? s.Title,
                    IsActive = patch["is_active"]?.GetValue<bool>() ?? s.IsActive,
                    UpdatedAt = Tick(),
                };
                _sessions[sessionId] = row;
                Stamp(sessionId);
            }

            Publish(ChatChange.Updated(row));
            AfterCommit?.Invoke(nameof(UpdateSessionAsync));
            return row;
        }
        finally
        {
            ExitWrite();
        }
    }

    public async Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await EnterWrite(nameof(DeleteSessionAsync));
        try
        {
            DeleteSessionsWhere(s => s.Id == sessionId);
            AfterCommit?.Invoke(nameof(DeleteSessionAsync));
        }
        finally
        {
            ExitWrite();
        }
    }

    public async Task DeleteAllSessionsAsync(Guid userId, CancellationToken cancellationToken)
    {
        await EnterWrite(nameof(DeleteAllSessionsAsync));
        try
        {
            DeleteSessionsWhere(s => s.UserId == userId);
            AfterCommit?.Invoke(nameof(DeleteAllSessionsAsync));
        }
        finally
        {
            ExitWrite();
        }
    }

    private void DeleteSessionsWhere(Func<ChatSession, bool> predicate)
    {
        var events = new List<ChatChange>();
        lock (_lock)
        {
            foreach (var s in _sessions.Values.Where(predicate).ToList())
            {
                _sessions.Remove(s.Id);
                LogDeletion(true, s.Id, s.Id);
                events.Add(ChatChange.SessionRemoved(s.Id));
                foreach (var m in _messages.Values.Where(m => m.SessionId == s.Id).ToList())
                {
                    _messages.Remove(m.Id);
                    _rowXids.Remove(m.Id);
                    events.Add(ChatChange.MessageRemoved(m.Id));
                }
            }
        }

        events.ForEach(Publish);
    }

    public async Task<ChatMessage> UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        await EnterWrite(nameof(UpsertMessageAsync));
        try
        {
            ChatMessage row;
            bool created;
            lock (_lock)
            {
                if (!_sessions.ContainsKey(message.SessionId))
                {
                    throw new FakeServerException("insert or update on table \"ai_chat_messages\" violates foreign key constraint");
                }

                var now = Tick();
                created = !_messages.TryGetValue(message.Id, out var existing);
                row = created
                    ? message with { UserId = UserId, CreatedAt = now, UpdatedAt = now, Metadata = message.Metadata ?? [] }
                    : existing! with { Content = message.Content, Status = message.Status, IsUser = message.IsUser, UpdatedAt = now };
                _messages[row.Id] = row;
                Stamp(row.Id);
                MessageWrites.Add(row.Content);
            }

            Publish(created ? ChatChange.Created(row) : ChatChange.Updated(row));
            AfterCommit?.Invoke(nameof(UpsertMessageAsync));
            return row;
        }
        finally
        {
            ExitWrite();
        }
    }

    public async Task<ChatMessage?> UpdateMessageAsync(Guid messageId, JsonObject patch, CancellationToken cancellationToken)
    {
        await EnterWrite(nameof(UpdateMessageAsync));
        try
        {
            ChatMessage row;
            lock (_lock)
            {
                if (!_messages.TryGetValue(messageId, out var m))
                {
                    return null;
                }

                var status = patch["status"]?.GetValue<string>() switch
                {
                    null => m.Status,
                    "pending" => MessageStatus.Pending,
                    "streaming" => MessageStatus.Streaming,
                    "complete" => MessageStatus.Complete,
                    "error" => MessageStatus.Error,
                    "stopped" => MessageStatus.Stopped,
                    var other => throw new FakeServerException($"bad status {other}"),
                };
                row = m with
                {
                    Content = patch["content"]?.GetValue<string>() ?? m.Content,
                    Status = status,
                    Metadata = patch["metadata"] is JsonObject md ? (JsonObject)md.DeepClone() : m.Metadata,
                    UpdatedAt = Tick(),
                };
                _messages[messageId] = row;
                Stamp(messageId);
                MessageWrites.Add(row.Content);
            }

            Publish(ChatChange.Updated(row));
            AfterCommit?.Invoke(nameof(UpdateMessageAsync));
            return row;
        }
        finally
        {
            ExitWrite();
        }
    }

    public async Task DeleteMessageAsync(Guid messageId, CancellationToken cancellationToken)
    {
        await EnterWrite(nameof(DeleteMessageAsync));
        try
        {
            bool removed;
            lock (_lock)
            {
                removed = _messages.Remove(messageId, out var gone);
                if (removed)
                {
                    LogDeletion(false, messageId, gone!.SessionId);
                }
            }

            if (removed)
            {
                Publish(ChatChange.MessageRemoved(messageId));
            }

            AfterCommit?.Invoke(nameof(DeleteMessageAsync));
        }
        finally
        {
            ExitWrite();
        }
    }

    public async Task<IReadOnlyList<ChatSession>> SetActiveSessionAsync(Guid? sessionId, CancellationToken cancellationToken)
    {
        await EnterWrite(nameof(SetActiveSessionAsync));
        try
        {
            var events = new List<ChatChange>();
            var result = new List<ChatSession>();
            lock (_lock)
            {
                if (sessionId is { } sid && (!_sessions.TryGetValue(sid, out var target) || target.UserId != UserId))
                {
                    throw new FakeServerException($"session {sid} not found");
                }

                var now = Tick();
                foreach (var s in _sessions.Values.Where(s => s.UserId == UserId && s.IsActive && s.Id != sessionId).ToList())
                {
                    var off = s with { IsActive = false, UpdatedAt = now };
                    _sessions[s.Id] = off;
                    Stamp(s.Id);
                    events.Add(ChatChange.Updated(off));
                }

                if (sessionId is { } id)
                {
                    var t = _sessions[id];
                    if (!t.IsActive)
                    {
                        t = t with { IsActive = true, UpdatedAt = now };
                        _sessions[id] = t;
                        Stamp(id);
                        events.Add(ChatChange.Updated(t));
                    }

                    result.Add(t);
                }
            }

            events.ForEach(Publish);
            AfterCommit?.Invoke(nameof(SetActiveSessionAsync));
            return result;
        }
        finally
        {
            ExitWrite();
        }
    }

    // ---------------------------------------------------------------- helpers

    private void Publish(ChatChange change)
    {
        if (EmitChanges)
        {
            Feed?.Emit(change);
        }
    }

    private Task Enter(string name)
    {
        Calls.AddOrUpdate(name, 1, (_, n) => n + 1);
        return BeforeCall?.Invoke(name) ?? Task.CompletedTask;
    }

    private async Task EnterWrite(string name)
    {
        await Enter(name);
        var n = Interlocked.Increment(ref _inFlightWrites);
        lock (_lock)
        {
            MaxConcurrentWrites = Math.Max(MaxConcurrentWrites, n);
        }
    }

    private void ExitWrite() => Interlocked.Decrement(ref _inFlightWrites);
}
