using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using StrideCampus.AiChat.Benchmarks.Infrastructure;

namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>
/// <c>decode</c>: records (once) 100,000 postgres_changes frames from LocalStack, measures the SDK decoding and
/// applying them to a MessageStore with BenchmarkDotNet, then realtime-js on the same frames in Node.
/// </summary>
internal static class DecodeCommand
{
    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var path = FrameRecording.DefaultPath;
        var recording = FrameRecording.TryLoad(path);
        if (recording is null)
        {
            Console.WriteLine($"recording frames from LocalStack into {path}");
            await using var server = await BenchServer.StartAsync(cancellationToken).ConfigureAwait(false);
            recording = await FrameRecorder.RecordAsync(server, cancellationToken).ConfigureAwait(false);
            recording.Save(path);
        }
        else
        {
            Console.WriteLine($"using the recorded frames in {path}");
        }

        var carried = CarriedBytes.Measure(recording);
        DecodeApplyBenchmark.Recording = recording;
        DecodeApplyBenchmark.Replay = new ReplayFrames(recording);

        // Monitoring (not Dry's cold start): untimed warm-up iterations first. Cold, the first case's first
        // iteration still ran partly before tiered JIT finished (770-818 ms against 215-260 ms for the others);
        // the JS side also warms up before timing. 10 warm-ups (BENCH_DECODE_WARMUPS overrides): with 3, on 2 cores, the
        // first case was not at steady state (the JIT's background thread still took 6-14% of the process 12 s in).
        var job = Job.Dry
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(Environment.GetEnvironmentVariable("BENCH_DECODE_WARMUPS") is { Length: > 0 } warmups ? int.Parse(warmups, System.Globalization.CultureInfo.InvariantCulture) : 10)
            .WithIterationCount(7)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId("short");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<DecodeApplyBenchmark>(config);
        var store = Find(summary, nameof(DecodeApplyBenchmark.DecodeAndApply));
        var observed = Find(summary, nameof(DecodeApplyBenchmark.DecodeAndApplyObserved));
        var eager = Find(summary, nameof(DecodeApplyBenchmark.DecodeAndApplyEager));
        var map = Find(summary, nameof(DecodeApplyBenchmark.DecodeAndMap));
        if (store is null || observed is null || eager is null || map is null)
        {
            Console.Error.WriteLine("the C# benchmark failed (see above)");
            return 1;
        }

        var events = recording.Frames.Count;

        Console.WriteLine();
        Console.WriteLine("realtime-js 2.109.0 on the same frames (3 node processes x 5 timed passes)...");
        var js = await JsDecodeRunner.RunAsync(path, 3, cancellationToken).ConfigureAwait(false);

        Console.WriteLine();
        Console.WriteLine("=== decode: 100,000 recorded postgres_changes frames (LocalStack, serializer 2.0.0) ===");
        Console.WriteLine(DecodeApplyBenchmark.LastVerification);
        Console.WriteLine($"frames: {carried.FrameBytes / (double)events:N0} B per frame on average; row images {carried.RowImageBytes / (double)events:N0} B per event (located in the frame, not copied); content strings {carried.DecodedStringBytes / (double)events:N0} B per event");
        Console.WriteLine($"JS  realtime-js + Map:                {js.Median,10:N0} events/s median ({js.Best:N0} best) of {js.Rates.Count} passes, node {js.NodeVersion}");
        foreach (var (label, report) in new[]
        {
            ("C#  decode + MessageStore:           ", store),
            ("C#  same, state observed (task pool):", observed),
            ("C#  same, state after every change:  ", eager),
            ("C#  decode + feed + Dictionary:      ", map),
        })
        {
            var median = events / (report.ResultStatistics!.Median / 1e9);
            var best = events / (report.ResultStatistics.Min / 1e9);
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0;
            var beyondStrings = (allocated - carried.DecodedStringBytes) / (double)events;
            Console.WriteLine($"{label} {median,10:N0} events/s median ({best:N0} best) of {report.ResultStatistics.N} iterations; C#/JS {median / js.Median:F2}x (best/best {best / js.Best:F2}x)");
            Console.WriteLine($"    allocated {allocated / (double)events:N0} B/event; beyond the decoded content strings {beyondStrings:N0} B/event");
        }

        Console.WriteLine($"the observed store published {DecodeApplyBenchmark.LastObservedStates:N0} states for {events:N0} changes (last iteration)");
        var ratio = events / (store.ResultStatistics!.Median / 1e9) / js.Median;
        var storeBeyond = ((store.GcStats.GetBytesAllocatedPerOperation(store.BenchmarkCase) ?? 0) - carried.DecodedStringBytes) / (double)events;
        Console.WriteLine($"target C# (MessageStore) >= 3x JS: {(ratio >= 3 ? "MET" : "MISSED")} ({ratio:F2}x); target < 1 KB/event beyond the strings: {(storeBeyond < 1024 ? "MET" : "MISSED")} ({storeBeyond:N0} B)");
        return 0;
    }

    private static BenchmarkDotNet.Reports.BenchmarkReport? Find(BenchmarkDotNet.Reports.Summary summary, string method) =>
        summary.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method && r.Success && r.ResultStatistics is not null);

    /// <summary>Replays the (already recorded) frames <paramref name="iterations"/> times, for a profiler.</summary>
    public static Task<int> LoopAsync(int iterations, CancellationToken cancellationToken)
    {
        var recording = FrameRecording.TryLoad(FrameRecording.DefaultPath)
            ?? throw new InvalidOperationException("no recording yet: run the decode command once");
        DecodeApplyBenchmark.Recording = recording;
        DecodeApplyBenchmark.Replay = new ReplayFrames(recording);
        var benchmark = new DecodeApplyBenchmark();
        benchmark.Setup();
        try
        {
            for (var i = 0; i < iterations && !cancellationToken.IsCancellationRequested; i++)
            {
                benchmark.CreateStore();
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var events = benchmark.DecodeAndApply();
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                watch.Stop();
                benchmark.VerifyAndDisposeStore();
                Console.WriteLine($"{events / watch.Elapsed.TotalSeconds,10:N0} events/s, {allocated / (double)events:N0} B/event");
            }
        }
        finally
        {
            benchmark.Cleanup();
        }

        return Task.FromResult(0);
    }

    /// <summary>What the events carry, measured on the recording.</summary>
    private sealed record CarriedBytes(long FrameBytes, long RowImageBytes, long DecodedStringBytes)
    {
        // A byte[] or string object header + length on 64-bit .NET.
        private const int ArrayOverhead = 24;
        private const int StringOverhead = 22;

        public static CarriedBytes Measure(FrameRecording recording)
        {
            long frames = 0, images = 0, strings = 0;
            foreach (var frame in recording.Frames)
            {
                frames += Encoding.UTF8.GetByteCount(frame);
                using var doc = JsonDocument.Parse(frame);
                var data = doc.RootElement[4].GetProperty("data");
                foreach (var name in (string[])["record", "old_record"])
                {
                    // For reference: what copying the row images out of the frame would cost (the SDK reads them in place).
                    if (data.TryGetProperty(name, out var image) && image.ValueKind == JsonValueKind.Object && image.EnumerateObject().Any())
                    {
                        images += Encoding.UTF8.GetByteCount(image.GetRawText()) + ArrayOverhead;
                    }
                }

                // The decoded message's string: its content (ids and times are structs).
                if (data.TryGetProperty("record", out var record) && record.ValueKind == JsonValueKind.Object &&
                    record.TryGetProperty("content", out var content) && content.GetString() is { } text)
                {
                    strings += StringOverhead + 2 * text.Length;
                }
            }

            return new CarriedBytes(frames, images, strings);
        }
    }
}
