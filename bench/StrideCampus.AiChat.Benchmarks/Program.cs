using StrideCampus.AiChat.Benchmarks.Decode;
using StrideCampus.AiChat.Benchmarks.Infrastructure;
using StrideCampus.AiChat.Benchmarks.Load;
using StrideCampus.AiChat.Benchmarks.Memory;

// In-process benchmarks of the SDK (issue 8). One command per benchmark:
//   decode  - decode + apply of 100,000 recorded postgres_changes frames, against realtime-js in Node
//   load    - initial MessageStore load of 10 / 100 / 1,000 sessions of 50 messages through LocalStack REST
//   memory  - 1,000,000 message events through a store: cache bound and heap over time
//   history - open, full load and resync for 10 x 50 and 2,000 x 100 histories (issue 16)
// `decode-loop [n]` replays the recording n times without BenchmarkDotNet (to run under a profiler).
// `decode-breakdown` runs the decode path's stages separately, without a server (time and bytes per stage).
// `serve` is internal: the LocalStack child process the commands start.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var command = args.Length > 0 ? args[0] : "";
return command switch
{
    "decode" => await DecodeCommand.RunAsync(cancel.Token),
    "load" => await LoadCommand.RunAsync(cancel.Token),
    "memory" => await MemoryCommand.RunAsync(cancel.Token),
    "history" => await HistoryCommand.RunAsync(cancel.Token),
    "decode-loop" => await DecodeCommand.LoopAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10, cancel.Token),
    "decode-breakdown" => DecodeBreakdown.Run(),
    "serve" => await BenchServer.ServeAsync(cancel.Token),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/StrideCampus.AiChat.Benchmarks -- decode|load|memory|history");
    return 2;
}
