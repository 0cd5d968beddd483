using System.Globalization;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// What else was going on during a phase: this process's garbage collections and pauses, and the machine's load
/// (the machine may be shared), so a tail latency can be told apart from a slow path.
/// </summary>
internal sealed record ProcessSnapshot(int Gen0, int Gen1, int Gen2, TimeSpan Pause, TimeSpan Cpu, DateTime At, long MachineBusyTicks, long MachineTotalTicks)
{
    public static ProcessSnapshot Take()
    {
        var (busy, total) = MachineTicks();
        return new(
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(),
            Environment.CpuUsage.TotalTime, DateTime.UtcNow, busy, total);
    }

    /// <summary>All cores' busy and total jiffies from /proc/stat (zeros elsewhere): includes PostgreSQL and other processes.</summary>
    private static (long Busy, long Total) MachineTicks()
    {
        if (!File.Exists("/proc/stat"))
        {
            return (0, 0);
        }

        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0); // idle + iowait
        return (total - idle, total);
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? "load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "load average unknown";

    private double MachineCores(ProcessSnapshot before)
    {
        var total = MachineTotalTicks - before.MachineTotalTicks;
        return total <= 0 ? double.NaN : (double)(MachineBusyTicks - before.MachineBusyTicks) / total * Environment.ProcessorCount;
    }

    /// <summary>The difference since <paramref name="before"/>, as one line.</summary>
    public string Since(ProcessSnapshot before)
    {
        var seconds = (At - before.At).TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"GCs gen0/1/2 {Gen0 - before.Gen0}/{Gen1 - before.Gen1}/{Gen2 - before.Gen2}, GC pause {(Pause - before.Pause).TotalMilliseconds:F0} ms, " +
            $"this process used {(Cpu - before.Cpu).TotalSeconds / seconds:F2} of {Environment.ProcessorCount} cores, the machine {MachineCores(before):F2} (PostgreSQL and others included), {LoadAverage()}");
    }
}
