using System.Collections.Immutable;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Recording changes, handing them out, and building the immutable snapshot of the state.</summary>
internal sealed partial class MessageStoreCore
{
    // ---------------------------------------------------------------- snapshot and changes

    /// <summary>Hands out the changes the current event recorded (none: a shared empty list, the realtime hot path allocates nothing more).</summary>
    private IReadOnlyList<ChatChange> TakeChanges()
    {
        if (_changes.Count == 0)
        {
            return [];
        }

        var taken = _changes.ToArray();
        _changes.Clear();
        return taken;
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

    private void Record(ChatChange change)
    {
        if (!_suppressChanges)
        {
            _changes.Add(change);
        }
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
}
