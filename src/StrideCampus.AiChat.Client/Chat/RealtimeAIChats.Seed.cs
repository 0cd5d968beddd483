namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Which rows are the user's: loaded once changes flow, and again whenever changes may have been missed.</summary>
public sealed partial class RealtimeAIChats
{
    /// <summary>The most deletes of unknown rows held while the rows load.</summary>
    private const int HeldDeleteLimit = 10_000;

    private List<ChatChange>? _heldDeletes; // non-null while a load runs
    private int _seedLoads;

    /// <summary>
    /// Loads the user's session and message ids (the active session too). A delete of a row not known yet that arrives
    /// meanwhile is held, and reported once the load shows the row was the user's. Only the first load sets the active
    /// session silently; a later one reports a change of it.
    /// </summary>
    private async Task SeedAsync(bool initial, CancellationToken cancellationToken)
    {
        if (_seed is null)
        {
            return;
        }

        lock (_gate)
        {
            _seedLoads++;
            _heldDeletes ??= [];
        }

        try
        {
            var sessions = await _seed.LoadSessionsAsync(cancellationToken).ConfigureAwait(false);
            var messages = await _seed.LoadMessageIdsAsync(SessionId, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (_disposed != 0)
                {
                    return;
                }

                foreach (var s in sessions)
                {
                    _sessionIds.Add(s.Id);
                    if (s.IsActive && _activeId != s.Id)
                    {
                        SetActiveLocked(s.Id);
                        if (!initial)
                        {
                            _pendingNull.Disposable = null;
                            ChatLog.ActiveSessionChanged(_logger, s.Id);
                            _active.OnNext(s.Id);
                        }
                    }
                }

                _messageIds.UnionWith(messages);
                foreach (var held in _heldDeletes ?? [])
                {
                    var known = held.Kind == ChatChangeKind.SessionDeleted ? _sessionIds.Remove(held.Id) : _messageIds.Remove(held.Id);
                    if (known)
                    {
                        ChatLog.RealtimeChange(_logger, held.Kind, held.Id);
                        _changes.OnNext(held);
                        TrackActive(held);
                    }
                }

                _heldDeletes?.Clear();
            }
        }
        finally
        {
            lock (_gate)
            {
                if (--_seedLoads == 0)
                {
                    _heldDeletes = null;
                }
            }
        }
    }

    /// <summary>Changes may have been missed: learn the rows again, in the background.</summary>
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
#pragma warning disable CA1031 // A failed reload leaves the known rows as they were; the next one may succeed.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                ChatLog.SubscriptionFailed(_logger, ex);
            }
        }
    }

    /// <summary>Holds a delete of a row not known yet while the rows load (under the gate); false when not loading.</summary>
    private bool HoldWhileSeeding(ChatChange change)
    {
        if (_heldDeletes is { } held && held.Count < HeldDeleteLimit)
        {
            held.Add(change);
        }

        return false;
    }
}
