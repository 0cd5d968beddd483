namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Server snapshots (the initial load, a resync) and loading one session's messages on demand.</summary>
internal sealed partial class MessageStoreCore
{
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
}
