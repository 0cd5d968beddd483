namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The core's one entry point: every change of its state is an event applied here.</summary>
internal sealed partial class MessageStoreCore
{
    /// <summary>Applies one event and returns what it changed: the changes to publish and whether the server state moved.</summary>
    public StoreChanges Apply(StoreEvent e)
    {
        var (applied, evicted) = ApplyEvent(e);
        return new StoreChanges(applied, TakeChanges(), evicted);
    }

    /// <summary>
    /// <see cref="Apply(StoreEvent)"/> for the store's hot path: the changes are appended to <paramref name="changes"/>
    /// instead of copied into a list of their own (one array fewer per realtime event); the result's list is empty.
    /// </summary>
    public StoreChanges Apply(StoreEvent e, List<ChatChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var (applied, evicted) = ApplyEvent(e);
        changes.AddRange(_changes);
        _changes.Clear();
        return new StoreChanges(applied, [], evicted);
    }

    private (bool Applied, int Evicted) ApplyEvent(StoreEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var applied = false;
        var evicted = 0;
        switch (e)
        {
            case StoreEvent.SessionConfirmed c:
                applied = ServerSession(c.Row, c.IsNew);
                break;
            case StoreEvent.SessionDeleted d:
                applied = ServerSessionDeleted(d.Id);
                break;
            case StoreEvent.MessageConfirmed c:
                applied = ServerMessage(c.Row);
                break;
            case StoreEvent.MessageDeleted d:
                applied = ServerMessageDeleted(d.Id);
                break;
            case StoreEvent.RealtimeChange r:
                applied = ApplyFeedChange(r.Change);
                break;
            case StoreEvent.RelayedText r:
                applied = ApplyRelayDelta(r.Delta);
                break;
            case StoreEvent.RelayedTextExpired x:
                applied = ExpireTentatives(x.NowTicks, x.MaxAgeTicks);
                break;
            case StoreEvent.PendingSessionShown p:
                PushSession(p.Token, p.Id, p.Value);
                applied = true;
                break;
            case StoreEvent.PendingMessageShown p:
                applied = PushMessage(p.Token, p.SessionId, p.Id, p.Value);
                break;
            case StoreEvent.PendingMessageChanged p:
                applied = ReplaceMessage(p.Token, p.Id, p.Value);
                break;
            case StoreEvent.PendingWriteEnded w:
                foreach (var id in w.Sessions)
                {
                    PopSession(w.Token, id);
                }

                if (w.Message is { } message)
                {
                    PopMessage(w.Token, message);
                }

                applied = true;
                break;
            case StoreEvent.SessionUsed u:
                Touch(u.SessionId, u.NowTicks);
                break;
            case StoreEvent.CacheTrimmed t:
                if (t.Protect is { } protect)
                {
                    Touch(protect, t.NowTicks);
                }

                evicted = EnforceCacheBound(t.NowTicks);
                applied = evicted > 0;
                break;
            case StoreEvent.SessionPageLoaded p:
                ApplySessionPage(p.From, p.Rows, p.PageSize);
                applied = true;
                break;
            case StoreEvent.SessionLoaded l:
                ApplyLoadedSession(l.Row);
                applied = true;
                break;
            case StoreEvent.MessageLoadStarted m:
                _loadBuffers.TryAdd(m.SessionId, []);
                break;
            case StoreEvent.MessageLoadFailed m:
                _loadBuffers.Remove(m.SessionId);
                break;
            case StoreEvent.MessagePageLoaded p:
                CompleteMessageLoad(p.SessionId, p.From, p.Rows, p.PageSize, p.NowTicks);
                applied = true;
                break;
            case StoreEvent.ResyncStarted:
                _touched = [];
                break;
            case StoreEvent.ResyncEnded:
                _touched = null;
                break;
            case StoreEvent.ChangesSinceLoaded c:
                applied = ApplyChangesSince(c.Changes, c.NowTicks) > 0;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "Not a store event.");
        }

        return (applied, evicted);
    }
}
