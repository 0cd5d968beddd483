using System.Globalization;
using StrideCampus.AiChat.LocalStack.Hosting;

// `start [--port N] [--data-dir DIR]`: runs the stack until Ctrl+C or SIGTERM and prints its
// settings in the style of `supabase status -o env`.
if (args.Length == 0 || args[0] != "start")
{
    Console.Error.WriteLine("usage: StrideCampus.AiChat.LocalStack start [--port N] [--data-dir DIR]");
    return 2;
}
var options = new LocalStackOptions();
for (var i = 1; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536:
            options.Port = port;
            i++;
            break;
        case "--data-dir" when i + 1 < args.Length:
            options.Postgres.DataDirectory = args[++i];
            break;
        default:
            Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'");
            Console.Error.WriteLine("usage: StrideCampus.AiChat.LocalStack start [--port N] [--data-dir DIR]");
            return 2;
    }
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });

await using var stack = await LocalStackServer.StartAsync(options);
Console.WriteLine($"API_URL=\"{stack.ApiUrl.ToString().TrimEnd('/')}\"");
Console.WriteLine($"DB_URL=\"{stack.Postgres.Url}\"");
Console.WriteLine($"ANON_KEY=\"{stack.AnonKey}\"");
Console.WriteLine($"SERVICE_ROLE_KEY=\"{stack.ServiceRoleKey}\"");
Console.WriteLine($"JWT_SECRET=\"{stack.JwtSecret}\"");
Console.Error.WriteLine($"LocalStack ready in {stack.StartupTime.TotalMilliseconds:F0} ms. Press Ctrl+C to stop.");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
return 0;
