using System.Diagnostics;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// Fixed-rate pacing against one clock: slot i is due at i / rate seconds after the clock started. Waiting for the
/// slot rather than sleeping an interval keeps the rate from drifting by each iteration's own cost.
/// </summary>
internal static class Pace
{
    /// <summary>Waits until slot <paramref name="index"/> is due; returns at once when it already is (no catch-up sleep).</summary>
    public static Task UntilSlotAsync(Stopwatch clock, long index, double ratePerSecond, CancellationToken ct)
    {
        var wait = TimeSpan.FromSeconds(index / ratePerSecond) - clock.Elapsed;
        return wait > TimeSpan.Zero ? Task.Delay(wait, ct) : Task.CompletedTask;
    }
}
