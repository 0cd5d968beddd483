namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// How a store relays streamed tokens while the project is over its Realtime quota. Supabase counts every broadcast
/// once in and once per receiver against the project's events per second, and over the limit it ends the receiving
/// channels with the system error "Too many messages per second" (supabase/realtime
/// <c>lib/realtime_web/channels/realtime_channel.ex</c>, <c>handle_info(:update_rate_counter)</c>) and drops database
/// changes without a signal (<c>lib/extensions/postgres_cdc_rls/replication_poller.ex</c>). On the first signal the
/// store relays four times less often; on another within <see cref="QuietPeriod"/> it stops relaying (other clients
/// follow the database writes). After a quiet period without a signal (the quota is a 60 s average) it relays as
/// configured again and calls <c>onRecovered</c>, so the store refetches the changes the server dropped meanwhile.
/// </summary>
internal sealed class RelayQuotaBackoff : IDisposable
{
    /// <summary>The server's reason (a <c>system</c> error before <c>phx_close</c>) when the project is over its quota.</summary>
    internal const string TooManyMessages = "Too many messages per second";

    /// <summary>How much less often a store relays after the first signal.</summary>
    internal const int SlowDownFactor = 4;

    private readonly Lock _gate = new();
    private readonly Action _onRecovered;
    private readonly ITimer _timer;
    private int _level;

    public RelayQuotaBackoff(TimeProvider time, TimeSpan quietPeriod, Action onRecovered)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(onRecovered);
        QuietPeriod = quietPeriod;
        _onRecovered = onRecovered;
        _timer = time.CreateTimer(static s => ((RelayQuotaBackoff)s!).Recover(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>How long without a signal before the store relays as configured again and catches up.</summary>
    public TimeSpan QuietPeriod { get; }

    /// <summary>0: relaying as configured; 1: slowed down; 2: not relaying.</summary>
    public int Level
    {
        get
        {
            lock (_gate)
            {
                return _level;
            }
        }
    }

    /// <summary>The server said "Too many messages per second": back off one level; returns the new level.</summary>
    public int OnTooManyMessages()
    {
        lock (_gate)
        {
            _level = Math.Min(_level + 1, 2);
            _timer.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
            return _level;
        }
    }

    /// <summary>The interval between relayed deltas now, or null while relaying is off.</summary>
    public TimeSpan? RelayInterval(TimeSpan configured)
    {
        lock (_gate)
        {
            return _level switch
            {
                0 => configured,
                1 => configured * SlowDownFactor,
                _ => null,
            };
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Recover()
    {
        lock (_gate)
        {
            if (_level == 0)
            {
                return;
            }

            _level = 0;
        }

        _onRecovered();
    }
}
