using System.Diagnostics;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// Starts operations on a fixed schedule (operation i at i / rate seconds) without waiting for earlier ones to finish,
/// so a slow system sees the offered load rather than throttling it (no coordinated omission). When the loop falls
/// behind it starts every overdue operation at once.
/// </summary>
internal static class OpenLoopSchedule
{
    /// <summary>The result of one schedule: when each operation started (Stopwatch ticks) and how many failed.</summary>
    public sealed record Result(long[] Starts, double SendSeconds, int Failures)
    {
        public double AchievedRate => Starts.Length / Math.Max(SendSeconds, 1e-9);
    }

    public static async Task<Result> RunAsync(int count, double rate, Func<int, Task> operation, TimeSpan drainTimeout, CancellationToken ct)
    {
        var starts = new long[count];
        var pending = new List<Task>(count);
        var failures = 0;
        var clock = Stopwatch.StartNew();
        var next = 0;
        while (next < count)
        {
            ct.ThrowIfCancellationRequested();
            var due = Math.Min(count, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; next < due; next++)
            {
                starts[next] = Stopwatch.GetTimestamp();
                pending.Add(Observe(operation(next)));
            }

            if (next < count)
            {
                await Pace.UntilSlotAsync(clock, next, rate, ct);
            }
        }

        // Span from the first start to the last start, plus one interval: the time the offered load took to send.
        var sendSeconds = Stopwatch.GetElapsedTime(starts[0], starts[^1]).TotalSeconds + 1 / rate;
        try
        {
            await Task.WhenAll(pending).WaitAsync(drainTimeout, ct);
        }
        catch (TimeoutException)
        {
            // Operations still running after the drain time count as failed: the system could not keep up.
            failures += pending.Count(t => !t.IsCompleted);
        }

        return new Result(starts, sendSeconds, failures);

        async Task Observe(Task task)
        {
            try
            {
                await task;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (Interlocked.Increment(ref failures) <= 3)
                {
                    Console.WriteLine($"operation failed: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
    }
}
