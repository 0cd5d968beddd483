namespace StrideCampus.AiChat.Client.Chat;

/// <summary>What arrives from other clients (feed changes, relayed text, connection status) and the resync requests it causes.</summary>
public partial class MessageStore
{
    // ================================================================ realtime

    private void OnFeedChange(ChatChange change)
    {
        var loadMissed = false;
        using (EnterGate())
        {
            var unknownSession = change is SessionChange && _core.GetServerSession(change.Id) is null;
            if (ApplyLocked(new StoreEvent.RealtimeChange(change)).Applied)
            {
                ChatLog.RealtimeChange(_logger, change.Kind, change.Id);
            }
            else
            {
                ChatLog.RealtimeChangeIgnored(_logger, change.Kind, change.Id, "echo, stale or not held");
            }

            // A session never seen: an update means its insert was missed (realtime does not guarantee delivery),
            // and an insert may come late, after messages were added (see MessageStoreCore.ApplyFeedChange). Its
            // messages are unknown either way: load them now rather than on first use, so they stay live.
            loadMissed = unknownSession && _isInitialized && _core.GetVisibleSession(change.Id) is not null &&
                !_core.AreMessagesLoaded(change.Id) && Volatile.Read(ref _disposed) == 0;
            PublishChangesLocked();
        }

        if (loadMissed)
        {
            _ = LoadMissedSessionAsync(change.Id);
        }
    }

    private async Task LoadMissedSessionAsync(Guid sessionId)
    {
        try
        {
            await LoadMessagesAsync(sessionId, _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChatOperationException or OperationCanceledException or ArgumentException or ObjectDisposedException)
        {
            // deleted meanwhile, or the store is closing: the next use or refetch loads it
        }
    }

    private void OnRelayDelta(StreamDelta delta)
    {
        using (EnterGate())
        {
            if (ApplyLocked(new StoreEvent.RelayedText(delta)).Applied)
            {
                PublishChangesLocked();
            }
        }
    }

    private void OnQuotaExceeded(string reason)
    {
        var level = _quota!.OnTooManyMessages();
        ChatLog.RelayQuotaExceeded(_logger, reason, level, _quota.QuietPeriod);
    }

    /// <summary>The quota signal stopped: the server may have dropped database changes meanwhile, so catch up.</summary>
    private void OnQuotaRecovered()
    {
        ChatLog.RelayQuotaRecovered(_logger);
        RequestReconcile();
    }

    /// <summary>Drops relayed text that stopped growing without the database catching up (timer; tests call it directly).</summary>
    internal void ExpireRelayedText()
    {
        using (EnterGate())
        {
            if (Volatile.Read(ref _disposed) == 0 && _core.HasTentatives && ApplyLocked(new StoreEvent.RelayedTextExpired(Now, RelayedTextLifetime.Ticks)).Applied)
            {
                PublishLocked();
            }
        }
    }

    /// <summary>How far the token relay backed off over the project's quota: 0 none, 1 slowed down, 2 off (for tests).</summary>
    internal int RelayBackoffLevel => _quota?.Level ?? 0;

    /// <summary>Completes when the token relay joined or gave up (for tests).</summary>
    internal Task WhenRelayStartedAsync() => _relayStart;

    private void OnFeedStatus(ChatConnectionStatus status)
    {
        using (EnterGate())
        {
            if (_isConnected != status.IsConnected)
            {
                _isConnected = status.IsConnected;
                _metaDirty = true;
                PublishLocked();
            }
        }
    }

    private void OnResubscribed(long count)
    {
        ChatLog.Resubscribed(_logger, count);
        RequestReconcile();
    }

    private void RequestReconcile()
    {
        using (EnterGate())
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            _reconcileRequested = true;
            if (_reconcileLoop.IsCompleted)
            {
                _reconcileLoop = Task.Run(ReconcileLoopAsync);
            }
        }
    }

    /// <summary>Completes when no refetch is running or requested (for tests).</summary>
    internal Task WhenReconciledAsync()
    {
        using (EnterGate())
        {
            return _reconcileLoop;
        }
    }

    private async Task ReconcileLoopAsync()
    {
        while (true)
        {
            using (EnterGate())
            {
                if (!_reconcileRequested || _lifetime.IsCancellationRequested)
                {
                    return;
                }

                _reconcileRequested = false;
            }

            try
            {
                await ReconcileOnceAsync(initial: false, _lifetime.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                ChatLog.ReconcileFailed(_logger, ex);
            }
        }
    }
}
