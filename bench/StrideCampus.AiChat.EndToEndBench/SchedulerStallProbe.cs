using System.Diagnostics;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// A canary for a busy machine: a dedicated thread sleeps 1 ms in a loop and records how late it wakes. Late wakes
/// mean no core was free (other processes, GC), and every thread of the benchmark is stalled alike; a slow message
/// whose flight overlaps such a stall was slowed by the machine, not by its path.
/// </summary>
internal sealed class SchedulerStallProbe : IDisposable
{
    private readonly Thread _thread;
    private readonly List<(long Woke, double LateMs)> _stalls = [];
    private readonly Lock _lock = new();
    private readonly List<double> _lateness = [];
    private volatile bool _stop;

    public SchedulerStallProbe()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "stall probe", Priority = ThreadPriority.Normal };
        _thread.Start();
    }

    /// <summary>How late each wake was (ms), so far.</summary>
    public LatencySummary Lateness()
    {
        lock (_lock)
        {
            return LatencySummary.Of(_lateness);
        }
    }

    /// <summary>Whether a wake at least <paramref name="minLateMs"/> late overlapped [from, to] (Stopwatch ticks).</summary>
    public bool StalledDuring(long from, long to, double minLateMs)
    {
        lock (_lock)
        {
            foreach (var (woke, late) in _stalls)
            {
                var began = woke - (long)(late / 1000 * Stopwatch.Frequency);
                if (late >= minLateMs && began <= to && woke >= from)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _stalls.Clear();
            _lateness.Clear();
        }
    }

    private void Run()
    {
        while (!_stop)
        {
            var start = Stopwatch.GetTimestamp();
            Thread.Sleep(1);
            var woke = Stopwatch.GetTimestamp();
            var late = Math.Max(0, Stopwatch.GetElapsedTime(start, woke).TotalMilliseconds - 1);
            lock (_lock)
            {
                if (_lateness.Count < 2_000_000)
                {
                    _lateness.Add(late);
                }

                if (late >= 2 && _stalls.Count < 100_000)
                {
                    _stalls.Add((woke, late));
                }
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(1));
    }
}
