namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Pages and resyncs (issue 16): the store holds the newest pages of sessions and of the messages of the sessions
/// opened, extends them on demand, and after an outage applies only what changed since its sync point.
/// </summary>
internal sealed partial class MessageStoreCore
{
    /// <summary>The oldest session loaded by pages while older ones remain in the database; null when none remain.</summary>
    private ChatPageKey? _sessionCursor;

    private bool _sessionsPaged;

    /// <summary>Where the next page of sessions starts (null: the newest), and whether one is worth asking for.</summary>
    public bool TryGetSessionCursor(out ChatPageKey? cursor)
    {
        cursor = _sessionCursor;
        return !_sessionsPaged || _sessionCursor is not null;
    }

    /// <summary>Where the next page of a session's older messages starts, or null when it has no older ones (or none are held).</summary>
    public ChatPageKey? GetOlderCursor(Guid sessionId) =>
        _sessions.TryGetValue(sessionId, out var s) && s.Messages is not null ? s.OlderCursor : null;

    /// <summary>
    /// Adds a page of sessions (newest first, up to <paramref name="pageSize"/> + 1 rows: the extra one only says there is
    /// more). A page that does not continue from <paramref name="from"/> (another page got there first) is still merged.
    /// </summary>
    private void ApplySessionPage(ChatPageKey? from, IReadOnlyList<ChatSession> rows, int pageSize)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var take = Math.Min(rows.Count, pageSize);
        if (!_sessionsPaged || _sessionCursor == from)
        {
            _sessionsPaged = true;
            _sessionCursor = rows.Count > pageSize ? ChatPageKey.Of(rows[take - 1]) : null;
        }

        _suppressChanges = true;
        try
        {
            for (var i = 0; i < take; i++)
            {
                ServerSession(rows[i], isNew: false);
            }
        }
        finally
        {
            _suppressChanges = false;
        }

        _orderDirty = true;
        _dirty = true;
    }

    /// <summary>Adds a session read on its own (the active one, outside the first page).</summary>
    private void ApplyLoadedSession(ChatSession row)
    {
        ArgumentNullException.ThrowIfNull(row);
        _suppressChanges = true;
        try
        {
            ServerSession(row, isNew: false);
        }
        finally
        {
            _suppressChanges = false;
        }
    }

    /// <summary>
    /// Puts a page of a session's messages in memory (newest first, up to <paramref name="pageSize"/> + 1 rows), then
    /// replays the changes that arrived during the query. <paramref name="from"/> null: the newest page (the messages
    /// were not in memory); otherwise the page continues from there, and is dropped if the session's messages were
    /// dropped or paged meanwhile.
    /// </summary>
    private void CompleteMessageLoad(Guid sessionId, ChatPageKey? from, IReadOnlyList<ChatMessage> rows, int pageSize, long nowTicks)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _loadBuffers.Remove(sessionId, out var buffer);
        if (!_sessions.TryGetValue(sessionId, out var s))
        {
            return;
        }

        s.LastAccess = nowTicks;
        if (from is null && s.Messages is null)
        {
            s.Messages = [];
            s.Sorted.Clear();
            s.Cached = null;
            _dirty = true;
        }
        else if (from is null || s.Messages is null || s.OlderCursor != from)
        {
            Replay(buffer);
            return;
        }

        var take = Math.Min(rows.Count, pageSize);
        s.OlderCursor = rows.Count > pageSize ? ChatPageKey.Of(rows[take - 1]) : null;
        s.Cached = null;
        _dirty = true;
        _suppressChanges = true;
        try
        {
            for (var i = 0; i < take; i++)
            {
                var row = rows[i];
                if (row.SessionId == sessionId && IsOwn(row.UserId) && !_deleted.Contains(row.Id))
                {
                    ServerMessage(row);
                }
            }
        }
        finally
        {
            _suppressChanges = false;
        }

        Replay(buffer);
    }

    private void Replay(List<ChatChange>? buffer)
    {
        if (buffer is not null)
        {
            foreach (var change in buffer)
            {
                ApplyFeedChange(change);
            }
        }
    }

    /// <summary>Whether a message not held lies before the loaded pages of its session (it shows when those are paged in).</summary>
    private static bool IsBeyondWindow(SessionEntry s, ChatMessage row) =>
        s.OlderCursor is { } cursor && ChatPageKey.Of(row).IsOlderThan(cursor);

    /// <summary>
    /// Applies what changed since the last sync point, for what the store holds: deletions, then rows as read (each
    /// the row's value when read, after the deletions were read), by the one merge rule. Rows and deletions touched by
    /// realtime changes since <see cref="StoreEvent.ResyncStarted"/> keep the newer value; messages of sessions being loaded go to that load's buffer.
    /// Returns the number of rows and deletions that changed what the store mirrors.
    /// </summary>
    private int ApplyChangesSince(ChatChangesSince changes, long nowTicks)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var touched = _touched ?? [];
        _touched = null;
        var before = _changes.Count;
        var rereadIds = new HashSet<Guid>(changes.Sessions.Select(s => s.Id).Concat(changes.Messages.Select(m => m.Id)));
        foreach (var deletion in changes.Deletions)
        {
            if (touched.Contains(deletion.RowId) || rereadIds.Contains(deletion.RowId))
            {
                continue; // a newer change decided it, or the row was written again after the delete
            }

            if (deletion.IsSession)
            {
                ServerSessionDeleted(deletion.RowId);
            }
            else
            {
                foreach (var buffer in _loadBuffers.Values)
                {
                    buffer.Add(ChatChange.MessageRemoved(deletion.RowId));
                }

                ServerMessageDeleted(deletion.RowId);
            }
        }

        foreach (var session in changes.Sessions)
        {
            if (touched.Contains(session.Id) || !IsOwn(session.UserId))
            {
                continue;
            }

            var isNew = !_sessions.ContainsKey(session.Id);
            if (isNew && _sessionCursor is { } cursor && ChatPageKey.Of(session).IsOlderThan(cursor) && !session.IsActive)
            {
                continue; // beyond the pages loaded: it comes with its page
            }

            _deleted.Remove(session.Id); // read after the deletions: it was written again
            MergeSession(session, isNew: false, nowTicks);
        }

        foreach (var message in changes.Messages)
        {
            if (touched.Contains(message.Id) || !IsOwn(message.UserId))
            {
                continue;
            }

            if (_loadBuffers.TryGetValue(message.SessionId, out var buffer))
            {
                buffer.Add(ChatChange.Updated(message));
                continue;
            }

            if (!_sessions.TryGetValue(message.SessionId, out var s) || s.Messages is null ||
                (!s.Messages.ContainsKey(message.Id) && IsBeyondWindow(s, message)))
            {
                continue; // not in memory: it loads with its session's messages
            }

            _deleted.Remove(message.Id);
            ServerMessage(message);
        }

        return _changes.Count - before;
    }
}
