using StrideCampus.AiChat.LocalStack.Hosting;

// `start [options]`: runs the stack until Ctrl+C or SIGTERM and prints its settings in the style of
// `supabase status -o env`. The options are one table, StartCommand.Options (`start --help` lists them).
if (args.Length == 0 || args[0] != "start")
{
    Console.Error.WriteLine(StartCommand.Usage);
    return 2;
}
if (args.Skip(1).Any(a => a is "--help" or "-h"))
{
    Console.Write(StartCommand.Help());
    return 0;
}
var options = new LocalStackOptions();
if (StartCommand.Parse(args[1..], options) is { } error)
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(StartCommand.Usage);
    return 2;
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
