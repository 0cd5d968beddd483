using System.Runtime.InteropServices;
using StrideCampus.AiChat.WebDemo;

// The web demo's one command: LocalStack in this process, the Blazor WebAssembly chat served beside it.
// Open the printed URL in two tabs, create an account in one and sign in with it in the other.
var port = 5080;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--port" && i + 1 < args.Length && int.TryParse(args[i + 1], out var p))
    {
        port = p;
    }
    else if (args[i] is "--help" or "-h")
    {
        Console.WriteLine("usage: StrideCampus.AiChat.WebDemo [--port N]   (default 5080; 0 picks a free port)");
        return 0;
    }
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
// SIGTERM (timeout, a service manager) stops it as Ctrl+C does, so LocalStack's database is removed on the way out.
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
Console.WriteLine("Starting LocalStack (PostgreSQL, auth, REST, realtime)…");
await using var host = await WebDemoHost.StartAsync(new WebDemoHostOptions { Port = port }, cancellationToken: stop.Token);
Console.WriteLine($"LocalStack API: {host.LocalStack.ApiUrl} (started in {host.LocalStack.StartupTime.TotalSeconds:F1} s)");
Console.WriteLine($"Web demo ready: {host.Url}");
Console.WriteLine("Open it in two tabs (create an account in one, sign in with it in the other). Ctrl+C stops.");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
return 0;
