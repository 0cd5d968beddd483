namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>Bounded polling for things the benches can only observe, not await (arrivals on another socket, WAL rows).</summary>
internal static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Checks <paramref name="condition"/> every 10 ms, at most <paramref name="timeout"/> / 10 ms times, and returns
    /// whether it holds at the end. The bound counts polls, not wall time, so a slow timer stretches it rather than
    /// cutting it short.
    /// </summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var polls = (int)(timeout / Interval);
        for (var i = 0; i < polls && !condition(); i++)
        {
            await Task.Delay(Interval, ct);
        }

        return condition();
    }
}
