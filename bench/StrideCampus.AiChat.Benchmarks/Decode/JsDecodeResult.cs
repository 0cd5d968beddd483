namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>realtime-js events per second, one per timed pass, sorted ascending.</summary>
internal sealed record JsDecodeResult(string NodeVersion, IReadOnlyList<double> Rates)
{
    public double Best => Rates[^1];

    public double Median => Statistics.Median(Rates);
}
