namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Notifications and state publication: the changes and the snapshots on <see cref="Changes"/> and <see cref="StateChanges"/>.</summary>
public partial class MessageStore
{
    // ================================================================ state publication

    /// <summary>The changes core events made since the last publication, in order.</summary>
    private readonly List<ChatChange> _unpublished = [];

    /// <summary>The last token of an optimistic write (changed under the lock).</summary>
    private long _lastToken;

    private long NewToken() => ++_lastToken;

    /// <summary>Applies an event to the core and keeps its changes for the next publication. Call under the lock.</summary>
    private StoreChanges ApplyLocked(StoreEvent e)
    {
        return _core.Apply(e, _unpublished);
    }

    /// <summary>Queues the changes kept since the last publication. Call under the lock.</summary>
    private int EnqueueUnpublished()
    {
        var count = _unpublished.Count;
        foreach (var change in _unpublished)
        {
            Enqueue(change);
        }

        _unpublished.Clear();
        return count;
    }

    /// <summary>Queues the changes and the new state (if anything changed) for delivery when the lock is left. Call under the lock.</summary>
    /// <returns>The number of changes queued.</returns>
    private int PublishLocked()
    {
        if (!_core.IsDirty && !_metaDirty && _unpublished.Count == 0 && !_stale)
        {
            return 0;
        }

        // The state first, so observers of a change that read Current see it; then the changes, then the state.
        var snapshot = BuildLocked();
        var count = EnqueueUnpublished();
        Enqueue(snapshot);
        return count;
    }

    /// <summary>
    /// The realtime path: queues every change at once, and the state at most once per <see cref="StateInterval"/>
    /// during a burst. With an asynchronous scheduler the snapshot is built when the scheduler gets to it (or
    /// <see cref="Current"/> is read), so changes arriving meanwhile share it; nobody observing, it is built only
    /// when read. Call under the lock.
    /// </summary>
    private void PublishChangesLocked()
    {
        if (_eagerState)
        {
            PublishLocked();
            return;
        }

        var count = EnqueueUnpublished();
        if (!_core.IsDirty && !_metaDirty && count == 0)
        {
            return;
        }

        Volatile.Write(ref _stale, true);
        if (!_refreshScheduled && _state.HasObservers)
        {
            // The first change after a quiet moment goes out at once; a burst gets a state a display frame.
            _refreshScheduled = true;
            var since = _time.GetElapsedTime(_lastRefresh);
            EnqueueRefresh(since >= StateInterval ? TimeSpan.Zero : StateInterval - since);
        }
    }

    private void RefreshScheduled()
    {
        using (EnterGate())
        {
            _refreshScheduled = false;
            if (_stale)
            {
                RefreshLocked();
            }
        }
    }

    /// <summary>Builds the state a realtime burst left unbuilt; takes the lock only then.</summary>
    private void RefreshIfStale()
    {
        if (Volatile.Read(ref _stale))
        {
            using (EnterGate())
            {
                if (_stale)
                {
                    RefreshLocked();
                }
            }
        }
    }

    private void RefreshLocked() => Enqueue(BuildLocked());

    private MessageStoreState BuildLocked()
    {
        _metaDirty = false;
        var snapshot = _core.Snapshot(_isLoading, _isInitialized, _isConnected, _counters);
        Volatile.Write(ref _current, snapshot);
        Volatile.Write(ref _stale, false);
        _lastRefresh = _time.GetTimestamp();
        return snapshot;
    }
}
