using System.Collections.Immutable;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The state of <see cref="MessageStore"/>, free of I/O and threads (the store calls it under its lock): the server's
/// rows as last seen, this client's pending writes on top, messages kept in (created_at, id) order, echo and
/// stale-event detection, pages and resyncs, and the message cache bound. Its one way in is
/// <see cref="Apply(StoreEvent)"/> (an event in, the changes to publish out); everything else public is a read-only query.
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
    private readonly List<ChatChange> _changes = [];
    private HashSet<Guid>? _touched;
    private bool _suppressChanges;
    private bool _dirty = true;
    private bool _orderDirty = true;
    private ChatSessionState[] _ordered = [];
    private long _version;
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

    // ---------------------------------------------------------------- helpers

    private bool IsOwn(Guid userId) => _userId == Guid.Empty || userId == Guid.Empty || userId == _userId;

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
