using StrideCampus.AiChat.LocalStack.Postgres;

// Placeholder entry point until the HTTP host lands: starts the embedded cluster and prints DB_URL.
if (args.Length == 0 || args[0] != "start")
{
    Console.Error.WriteLine("usage: StrideCampus.AiChat.LocalStack start [--data-dir DIR]");
    return 2;
}
string? dataDir = null;
for (var i = 1; i < args.Length - 1; i++)
{
    if (args[i] == "--data-dir")
    {
        dataDir = args[i + 1];
    }
}
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
await using var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = dataDir });
Console.WriteLine($"DB_URL=\"{pg.Url}\"");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
return 0;
