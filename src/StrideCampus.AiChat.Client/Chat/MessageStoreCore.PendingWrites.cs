namespace StrideCampus.AiChat.Client.Chat;

/// <summary>This client's pending writes: shown on top of the server state until confirmed or rolled back.</summary>
internal sealed partial class MessageStoreCore
{
    // ---------------------------------------------------------------- this client's writes

    /// <summary>Shows a pending session write (<paramref name="value"/> null: a pending delete).</summary>
    private void PushSession(long token, Guid id, ChatSession? value)
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
    private void PopSession(long token, Guid id)
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
    private bool PushMessage(long token, Guid sessionId, Guid id, ChatMessage? value)
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
    private bool ReplaceMessage(long token, Guid id, ChatMessage? value)
    {
        if (!TryGetMessage(id, out var s, out var m))
        {
            return false;
        }

        var before = m.Row.Visible;
        if (!m.Row.Replace(token, value))
        {
            return false;
        }

        AfterMessageChange(s, m, id, before);
        return true;
    }

    private void PopMessage(long token, Guid id)
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
}
