namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// One join's wait for the server's <c>system</c> message "Subscribed to PostgreSQL", for a channel with
/// postgres_changes bindings. Supabase Realtime registers the database subscription after its join reply, in
/// <c>handle_info(:postgres_subscribe)</c> (supabase/realtime <c>lib/realtime_web/channels/realtime_channel.ex</c>,
/// retried every 1-3 s, 5-10 s after an error, with no message while change capture starts), and changes flow only
/// from that message; it sends it again whenever it subscribes again on the same join (a change-capture restart
/// after <c>postgres_cdc_rls_down</c>, a refreshed <c>access_token</c>), each time after a window whose changes may
/// be lost. Guarded by the channel's lock.
/// </summary>
internal sealed class PostgresConfirmation
{
    private ITimer? _timer;
    private string? _joinRef;
    private bool _awaiting;
    private bool _settled;

    /// <summary>Whether the join was answered but neither the confirmation nor the timeout has come.</summary>
    public bool Awaiting => _awaiting;

    /// <summary>Whether the awaited join is a rejoin (reported as such once settled).</summary>
    public bool IsRejoin { get; private set; }

    /// <summary>Starts waiting for the confirmation of <paramref name="joinRef"/>; <paramref name="onTimeout"/> runs on a timer thread.</summary>
    public void Begin(string joinRef, bool isRejoin, TimeProvider time, TimeSpan timeout, Action<string> onTimeout)
    {
        Reset();
        _joinRef = joinRef;
        _awaiting = true;
        IsRejoin = isRejoin;
        _timer = time.CreateTimer(static s => ((Action)s!)(), () => onTimeout(joinRef), timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The server confirmed (again): whether this is the first report of the join or a later one.</summary>
    public ConfirmationOutcome Confirm()
    {
        if (_awaiting)
        {
            StopTimer();
            _awaiting = false;
            _settled = true;
            return ConfirmationOutcome.First;
        }

        return _settled ? ConfirmationOutcome.Again : ConfirmationOutcome.None;
    }

    /// <summary>The timeout passed: true when <paramref name="joinRef"/> was still waiting (it is then settled).</summary>
    public bool TimeOut(string joinRef)
    {
        if (!_awaiting || _joinRef != joinRef)
        {
            return false;
        }

        StopTimer();
        _awaiting = false;
        _settled = true;
        return true;
    }

    /// <summary>Forgets the join (it ended, or another starts).</summary>
    public void Reset()
    {
        StopTimer();
        _joinRef = null;
        _awaiting = false;
        _settled = false;
    }

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }
}
