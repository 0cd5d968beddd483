namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Joins per second over the whole service, as Supabase counts <c>max_joins_per_second</c> per project
/// (supabase/realtime <c>lib/realtime/tenants.ex</c>, <c>joins_per_second_rate</c>): a sliding one-second window.
/// The limit is read at every join, so a test can lift it for a while.
/// </summary>
internal sealed class JoinRateLimiter(Func<int> maxPerSecond, TimeProvider time)
{
    private readonly Queue<long> _recent = new();
    private readonly Lock _gate = new();

    /// <summary>Counts a join; false when it is over the limit (and then not counted).</summary>
    public bool TryJoin()
    {
        var max = maxPerSecond();
        if (max <= 0)
        {
            return true;
        }

        var now = time.GetTimestamp();
        lock (_gate)
        {
            while (_recent.Count > 0 && time.GetElapsedTime(_recent.Peek(), now) >= TimeSpan.FromSeconds(1))
            {
                _recent.Dequeue();
            }

            if (_recent.Count >= max)
            {
                return false;
            }

            _recent.Enqueue(now);
            return true;
        }
    }
}
