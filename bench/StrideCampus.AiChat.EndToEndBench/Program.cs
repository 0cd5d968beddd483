using StrideCampus.AiChat.EndToEndBench;

// End-to-end benchmarks of the SDK against an in-process LocalStack (issue 8); see bench/README.md.
// Usage: dotnet run -c Release --project bench/StrideCampus.AiChat.EndToEndBench -- propagation|streaming|fanout|assistant [--option value ...]
if (args.Length == 0 || args[0] is not ("propagation" or "streaming" or "fanout" or "assistant"))
{
    Console.Error.WriteLine("usage: EndToEndBench propagation|streaming|fanout|assistant [--option value ...] (options: bench/README.md)");
    return 2;
}

// Every command stays well under its own time bound; this is the backstop.
using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
var options = new BenchArguments(args[1..]);
Console.WriteLine($"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {DateTime.UtcNow:u}, {ProcessSnapshot.LoadAverage()}");
var exitCode = args[0] switch
{
    "propagation" => await new PropagationBench(options).RunAsync(timeout.Token),
    "streaming" => await new StreamingBench(options).RunAsync(timeout.Token),
    "assistant" => await new AssistantBench(options).RunAsync(timeout.Token),
    _ => await new FanoutBench(options).RunAsync(timeout.Token),
};

// The machine may be shared: the load around the run tells how much to trust the figures.
Console.WriteLine($"done, {ProcessSnapshot.LoadAverage()}");
return exitCode;
