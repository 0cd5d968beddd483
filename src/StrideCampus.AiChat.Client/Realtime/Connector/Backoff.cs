namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The default reconnect and rejoin schedules of realtime-js: 1 s, 2 s, 5 s, then 10 s.</summary>
internal static class Backoff
{
    private static readonly TimeSpan[] Steps = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)];

    /// <summary>The base delay of attempt <paramref name="attempt"/> (1-based).</summary>
    public static TimeSpan Base(int attempt) => Steps[Math.Clamp(attempt, 1, Steps.Length) - 1];

    /// <summary>The reconnect delay: the base delay plus up to 10% random jitter, so clients do not reconnect in lockstep.</summary>
    public static TimeSpan WithJitter(int attempt)
    {
        var delay = Base(attempt);
#pragma warning disable CA5394 // Jitter needs no cryptographic randomness.
        return delay + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * delay.TotalMilliseconds * 0.1);
#pragma warning restore CA5394
    }
}
