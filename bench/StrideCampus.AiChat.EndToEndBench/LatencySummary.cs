using System.Globalization;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>Percentiles of a set of latency samples, in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double P50, double P90, double P99, double Max)
{
    public static LatencySummary Of(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        return new LatencySummary(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99), Percentile(sorted, 100));
    }

    /// <summary>Nearest-rank percentile (NaN when empty).</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static void PrintHeader(int nameWidth = 52) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"path".PadRight(nameWidth)} {"n",6} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8}"));

    public void Print(string name, int nameWidth = 52) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name.PadRight(nameWidth)} {Count,6} {P50,8:F2} {P90,8:F2} {P99,8:F2} {Max,8:F2}"));
}
