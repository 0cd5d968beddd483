namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Relayed tokens of streamed replies: text shown ahead of the database, and what arrives before its row.</summary>
internal sealed partial class MessageStoreCore
{
    // ---------------------------------------------------------------- relayed tokens of streamed replies

    /// <summary>
    /// Grows a streaming message that another client is writing with relayed text, ahead of the database.
    /// Deltas that do not line up with what is shown (a gap, a stale copy) are ignored: the next database
    /// write brings the text anyway. Returns whether the visible message changed.
    /// </summary>
    private bool ApplyRelayDelta(StreamDelta delta)
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
    private bool ExpireTentatives(long nowTicks, long maxAgeTicks)
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
}
