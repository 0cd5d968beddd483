using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// Records this process's garbage collection pauses (runtime events: execution engine suspended → restarted) on the
/// Stopwatch clock, so a slow message can be checked against them: the SDK clients and LocalStack share this process,
/// so one pause stalls every leg of a message's path at once.
/// </summary>
internal sealed class GcPauseRecorder : EventListener
{
    private const int SuspendBeginEventId = 9;
    private const int RestartEndEventId = 3;

    // Event timestamps are wall-clock DateTimes; map them to Stopwatch ticks through one pair read at start.
    private readonly DateTime _wallAtStart = DateTime.UtcNow;
    private readonly long _ticksAtStart = Stopwatch.GetTimestamp();
    private readonly Lock _lock = new();
    private readonly List<(long Begin, long End)> _pauses = [];
    private long _suspendedAt;

    public IReadOnlyList<(long Begin, long End)> Pauses
    {
        get
        {
            lock (_lock)
            {
                return [.. _pauses];
            }
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _pauses.Clear();
        }
    }

    /// <summary>Whether a pause of at least <paramref name="minMs"/> overlapped [from, to] (Stopwatch ticks).</summary>
    public bool PausedDuring(long from, long to, double minMs)
    {
        lock (_lock)
        {
            return _pauses.Any(p => p.Begin <= to && p.End >= from && Stopwatch.GetElapsedTime(p.Begin, p.End).TotalMilliseconds >= minMs);
        }
    }

    /// <summary>The pauses recorded, in milliseconds.</summary>
    public LatencySummary Summary()
    {
        lock (_lock)
        {
            return LatencySummary.Of(_pauses.Select(p => Stopwatch.GetElapsedTime(p.Begin, p.End).TotalMilliseconds));
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId is not (SuspendBeginEventId or RestartEndEventId))
        {
            return;
        }

        var ticks = _ticksAtStart + (long)((eventData.TimeStamp.ToUniversalTime() - _wallAtStart).TotalSeconds * Stopwatch.Frequency);
        lock (_lock)
        {
            if (eventData.EventId == SuspendBeginEventId)
            {
                _suspendedAt = ticks;
            }
            else if (_suspendedAt != 0)
            {
                _pauses.Add((_suspendedAt, ticks));
                _suspendedAt = 0;
            }
        }
    }
}
