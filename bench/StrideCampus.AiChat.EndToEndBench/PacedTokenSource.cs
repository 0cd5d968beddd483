using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// A model stand-in: yields <c>count</c> tokens at a fixed rate and records when each was produced and the reply's
/// length through it, so a watcher can tell when its copy first contains a given token.
/// </summary>
internal sealed class PacedTokenSource
{
    private readonly string[] _tokens;
    private readonly double _rate;

    public PacedTokenSource(int count, double rate)
    {
        _rate = rate;
        // Words of varying length, like a model's tokens.
        _tokens = [.. Enumerable.Range(0, count).Select(i => (i % 7 == 0 ? " word" : "tok") + i.ToString(CultureInfo.InvariantCulture) + (i % 5 == 4 ? ". " : " "))];
        CumulativeLength = new int[count];
        var length = 0;
        for (var i = 0; i < count; i++)
        {
            length += _tokens[i].Length;
            CumulativeLength[i] = length;
        }

        ProducedAt = new long[count];
    }

    public string FullText => string.Concat(_tokens);

    /// <summary>The reply's length through token i.</summary>
    public int[] CumulativeLength { get; }

    /// <summary>When token i was handed to the consumer (Stopwatch ticks).</summary>
    public long[] ProducedAt { get; }

    public async IAsyncEnumerable<string> ProduceAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < _tokens.Length; i++)
        {
            await Pace.UntilSlotAsync(clock, i, _rate, ct);

            ProducedAt[i] = Stopwatch.GetTimestamp();
            yield return _tokens[i];
        }
    }
}
