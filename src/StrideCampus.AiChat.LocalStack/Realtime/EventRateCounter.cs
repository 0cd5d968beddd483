namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// A per-second average over the last ticks, as Supabase Realtime's <c>RateCounter</c> computes it
/// (supabase/realtime <c>lib/realtime/rate_counter/rate_counter.ex</c>: at each tick the count joins a bucket
/// list of at most 12 entries; the average is the bucket sum over the bucket count over the tick in seconds; the
/// limit triggers when the average passes it and releases when it falls back). The ticks are rolled lazily, on
/// use, from the clock: no timer.
/// </summary>
internal sealed class EventRateCounter(double limit, TimeSpan tick, TimeProvider time)
{
    private const int MaxBuckets = 12;
    private readonly Lock _gate = new();
    private readonly Queue<long> _buckets = new();
    private long _bucketSum;
    private long _count;
    private long _tickStart = time.GetTimestamp();
    private bool _triggered;

    /// <summary>Counts <paramref name="events"/> events.</summary>
    public void Add(long events)
    {
        lock (_gate)
        {
            RollLocked();
            _count += events;
        }
    }

    /// <summary>Whether the average passed the limit at the last tick.</summary>
    public bool IsTriggered
    {
        get
        {
            lock (_gate)
            {
                RollLocked();
                return _triggered;
            }
        }
    }

    private void RollLocked()
    {
        var elapsed = time.GetElapsedTime(_tickStart);
        if (elapsed < tick)
        {
            return;
        }

        var ticks = (long)(elapsed.Ticks / tick.Ticks);
        // After a long idle time every bucket is zero: roll at most a full window.
        for (var i = 0; i < Math.Min(ticks, MaxBuckets + 1); i++)
        {
            _buckets.Enqueue(_count);
            _bucketSum += _count;
            _count = 0;
            if (_buckets.Count > MaxBuckets)
            {
                _bucketSum -= _buckets.Dequeue();
            }

            var average = _bucketSum / (double)_buckets.Count / tick.TotalSeconds;
            _triggered = average > limit;
        }

        _tickStart += (long)(ticks * tick.TotalSeconds * time.TimestampFrequency);
    }
}
