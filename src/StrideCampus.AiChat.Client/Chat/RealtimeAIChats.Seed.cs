namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The active session, read once changes flow and again whenever changes may have been missed. Deletes need no list of
/// the user's rows: they come from the deletion log, which only the owner sees and which names the row's session.
/// </summary>
public partial class RealtimeAIChats
{
    /// <summary>
    /// Reads the user's active session (one row). Only the first read sets it silently; a later one reports a change.
    /// </summary>
    private async Task SeedAsync(bool initial, CancellationToken cancellationToken)
    {
        if (_seed is null)
        {
            return;
        }

        var active = await _seed.LoadActiveSessionAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_disposed != 0 || active is null)
            {
                return;
            }

            _sessionIds.Add(active.Id);
            if (_activeId != active.Id)
            {
                SetActiveLocked(active.Id);
                if (!initial)
                {
                    EnqueueSettle(schedule: false);
                    ChatLog.ActiveSessionChanged(_logger, active.Id);
                    EnqueueActive(active.Id);
                }
            }
        }

        DeliverNotices();
    }

    /// <summary>Changes may have been missed: read the active session again, in the background.</summary>
    private void Reseed()
    {
        if (_seed is null || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _ = ReseedAsync();

        async Task ReseedAsync()
        {
            try
            {
                await SeedAsync(initial: false, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failed read leaves the active session as it was; the next one may succeed.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                ChatLog.SubscriptionFailed(_logger, ex);
            }
        }
    }
}
