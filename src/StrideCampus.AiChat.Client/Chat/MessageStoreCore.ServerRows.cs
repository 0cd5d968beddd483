namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The merge rules: rows the server confirmed and realtime changes, applied to the server state under this
/// client's pending writes, with echo and stale-event detection.
/// </summary>
internal sealed partial class MessageStoreCore
{
    // ---------------------------------------------------------------- server rows

    /// <summary>Applies a session row the server confirmed. Returns whether the mirrored state changed.</summary>
    /// <param name="row">The row.</param>
    /// <param name="isNew">Whether the row was just inserted (so it has no messages yet).</param>
    private bool ServerSession(ChatSession row, bool isNew)
    {
        ArgumentNullException.ThrowIfNull(row);
        return IsOwn(row.UserId) && !_deleted.Contains(row.Id) && MergeSession(row, isNew, _clock());
    }

    /// <summary>
    /// The merge rule for a session row, whichever path brought it (this client's write confirmed, realtime, a page,
    /// a resync). One rule, so a row's fate does not depend on its path; the two rules there were differed in one
    /// point, and the realtime one won: a row older (updated_at) than the one held is ignored. A confirmation can
    /// overtake a later realtime event, so that guard is needed there; a resync (which used to take any row as is)
    /// skips rows touched since it started, so what it reads is never older than what is held unless the writer's
    /// clock went back, and then both paths now agree. A row with the same content is an echo: only updated_at
    /// moves. A row's absence from a page or an embed never removes it (PostgREST caps both at db-max-rows, issue
    /// 13): only a delete, or a deletion logged since the sync point, does.
    /// </summary>
    private bool MergeSession(ChatSession row, bool isNew, long nowTicks)
    {
        _touched?.Add(row.Id);
        if (!_sessions.TryGetValue(row.Id, out var s))
        {
            s = new SessionEntry(row.Id) { Messages = isNew ? [] : null, LastAccess = nowTicks };
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
    private bool ServerSessionDeleted(Guid id)
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

    /// <summary>
    /// Applies a message row, whichever path brought it: the same merge rule as <see cref="MergeSession"/> (older
    /// updated_at ignored, same content an echo, absence never a delete), and relayed text kept while it extends the row.
    /// Returns whether the mirrored state changed.
    /// </summary>
    private bool ServerMessage(ChatMessage row)
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
    private bool ServerMessageDeleted(Guid id)
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
    private bool ApplyFeedChange(ChatChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        bool applied;
        switch (change)
        {
            case SessionChange s:
                // Never "new, so no messages": realtime may deliver an insert committed before this client
                // subscribed, after the session got messages. Its messages load like any other session's.
                applied = ServerSession(s.Session, isNew: false);
                break;
            case SessionDeletion:
                applied = ServerSessionDeleted(change.Id);
                break;
            case MessageChange m:
                if (_loadBuffers.TryGetValue(m.Message.SessionId, out var buffer))
                {
                    buffer.Add(change);
                    return false;
                }

                applied = ServerMessage(m.Message);
                break;
            case MessageDeletion:
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
}
