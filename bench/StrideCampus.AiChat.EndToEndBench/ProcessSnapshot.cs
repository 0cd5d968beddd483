using System.Globalization;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// What else was going on during a phase: this process's garbage collections and pauses, and the machine's load
/// (the machine may be shared), so a tail latency can be told apart from a slow path.
/// </summary>
internal sealed record ProcessSnapshot(int Gen0, int Gen1, int Gen2, TimeSpan Pause, TimeSpan Cpu, DateTime At)
{
    public static ProcessSnapshot Take() => new(
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(),
        Environment.CpuUsage.TotalTime, DateTime.UtcNow);

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? "load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "load average unknown";

    /// <summary>The difference since <paramref name="before"/>, as one line.</summary>
    public string Since(ProcessSnapshot before)
    {
        var seconds = (At - before.At).TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"GCs gen0/1/2 {Gen0 - before.Gen0}/{Gen1 - before.Gen1}/{Gen2 - before.Gen2}, GC pause {(Pause - before.Pause).TotalMilliseconds:F0} ms, " +
            $"this process used {(Cpu - before.Cpu).TotalSeconds / seconds:F2} of {Environment.ProcessorCount} cores, {LoadAverage()}");
    }
}
