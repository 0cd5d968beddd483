namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The message cache bound: which sessions keep their messages in memory.</summary>
internal sealed partial class MessageStoreCore
{
    // ---------------------------------------------------------------- cache bound

    /// <summary>Marks a session's messages as just used (LRU).</summary>
    private void Touch(Guid sessionId, long nowTicks)
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
    private int EnforceCacheBound(long nowTicks)
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
}
