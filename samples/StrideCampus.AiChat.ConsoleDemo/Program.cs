using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.ConsoleDemo;
using StrideCampus.AiChat.ConsoleDemo.Assistant;

// The README's first command. Starts LocalStack in this process (or uses SUPABASE_URL /
// SUPABASE_ANON_KEY / SUPABASE_EMAIL / SUPABASE_PASSWORD), opens two "tabs" of one user and plays a
// scripted conversation that shows every realtime sync feature. --once exits after the script
// (exit code 0 on success); --interactive lets you type messages afterwards.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("usage: StrideCampus.AiChat.ConsoleDemo [--once] [--interactive]");
    Console.WriteLine("  --once         run the scripted conversation and exit (0 on success)");
    Console.WriteLine("  --interactive  after the script, type messages into tab A (the default in a terminal; empty line quits)");
    Console.WriteLine("Environment: SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_EMAIL, SUPABASE_PASSWORD to use a real project.");
    return 0;
}
if (!AnsiConsole.Profile.Capabilities.Interactive && Console.IsErrorRedirected && !Console.IsOutputRedirected && !Console.IsInputRedirected)
{
    // Spectre.Console counts a redirected standard error as "not interactive"; the screen and the
    // prompt only need standard input and output, so a log captured from stderr keeps them.
    AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Interactive = InteractionSupport.Yes });
}
var mode = DemoMode.Decide(
    once: args.Contains("--once"),
    askedInteractive: args.Contains("--interactive"),
    inputRedirected: Console.IsInputRedirected,
    outputRedirected: Console.IsOutputRedirected,
    terminalInteractive: AnsiConsole.Profile.Capabilities.Interactive);

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
var log = new List<string>();
void Narrate(string line)
{
    lock (log)
    {
        log.Add(line);
    }
    if (!mode.Live)
    {
        Console.WriteLine("» " + line);
    }
}

try
{
    // The wait a newcomer meets first: say what is happening while LocalStack and the tabs start.
    var starting = Environment.GetEnvironmentVariable("SUPABASE_URL") is { Length: > 0 }
        ? "Connecting to the Supabase project…"
        : "Starting the embedded LocalStack (up to about 15 s)…";
    Narrate(starting);
    await using var backend = await WithProgressAsync(starting, () => DemoBackend.CreateAsync(cts.Token));
    Narrate("Backend: " + backend.Description);
    // One service container; each tab gets its own sign-in and connection from its factory.
    await using var services = new ServiceCollection()
        .AddAiChatClient(o => { o.Url = backend.Url; o.AnonKey = backend.AnonKey; })
        .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    var factory = services.GetRequiredService<IAiChatFactory>();
    const string signingIn = "Signing the demo user in, in two tabs…";
    await using var tabA = await WithProgressAsync(signingIn, () => ChatTab.OpenAsync("Tab A", factory, backend, signUp: backend.SignUp, cts.Token));
    await using var tabB = await WithProgressAsync(signingIn, () => ChatTab.OpenAsync("Tab B", factory, backend, signUp: false, cts.Token));
    Narrate($"Signed in as {backend.Email} in both tabs.");
    using var assistant = new OfflineResponder(TimeSpan.FromMilliseconds(mode.Live ? 90 : 15));
    Narrate($"Assistant: {OfflineResponder.Label} (no network needed; plug any Microsoft.Extensions.AI IChatClient instead).");
    // Replies come from a worker beside the backend when its service role key is known; the tabs never see that key.
    await using var worker = backend.ServiceRoleKey is { } serviceKey
        ? await DemoAssistantWorker.StartAsync(backend.Url, serviceKey, assistant, cts.Token)
        : null;
    Narrate(worker is null ? "Replies stream from tab A." : "Replies come from the assistant worker beside the backend (Esc stops one).");
    var script = new DemoScript(tabA, tabB, assistant, Narrate, mode.Live ? TimeSpan.FromSeconds(1.5) : TimeSpan.Zero, serverReplies: worker is not null);

    // While a typed turn runs, Esc stops the reply (from tab B: any client may stop it).
    async Task WithStopKeyAsync(Task turn)
    {
        while (!turn.IsCompleted)
        {
            if (!Console.IsInputRedirected && Console.KeyAvailable && Console.ReadKey(intercept: true).Key == ConsoleKey.Escape)
            {
                _ = script.StopAsync(cts.Token);
            }

            await Task.WhenAny(turn, Task.Delay(50, CancellationToken.None));
        }

        await turn;
    }

    if (mode.Live)
    {
        await LiveAsync(() => script.RunAsync(cts.Token));
        while (mode.Interactive && !cts.IsCancellationRequested)
        {
            var text = AnsiConsole.Prompt(new TextPrompt<string>("[blue]You (tab A)[/], empty to quit:").AllowEmpty());
            if (string.IsNullOrWhiteSpace(text))
            {
                break;
            }
            // Start each turn's live view at the top of the terminal.
            AnsiConsole.Clear();
            await LiveAsync(() => WithStopKeyAsync(script.SendAsync(text, cts.Token)));
        }
    }
    else
    {
        await script.RunAsync(cts.Token);
        AnsiConsole.Write(Screen());
    }
    if (mode.Notice is { } notice)
    {
        Console.WriteLine(notice);
    }
    return 0;

    Spectre.Console.Rendering.IRenderable Screen()
    {
        string[] recent;
        lock (log)
        {
            recent = [.. log];
        }
        return DemoScreen.Build(tabA.Snapshot(), tabB.Snapshot(), recent, AnsiConsole.Profile.Width, mode.Live ? AnsiConsole.Profile.Height : null);
    }

    async Task LiveAsync(Func<Task> action)
    {
        // The screen fits the terminal; should it not, the bottom is cut, never the tab headers.
        await AnsiConsole.Live(Screen()).Overflow(VerticalOverflow.Crop).Cropping(VerticalOverflowCropping.Bottom).StartAsync(async ctx =>
        {
            var run = action();
            while (!run.IsCompleted)
            {
                ctx.UpdateTarget(Screen());
                await Task.WhenAny(run, Task.Delay(80, CancellationToken.None));
            }
            ctx.UpdateTarget(Screen());
            await run;
        });
    }
}
catch (DemoFailedException ex)
{
    Console.Error.WriteLine("Demo failed: " + ex.Message);
    return 1;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    return 130;
}

// A spinner with the step in a terminal; the narrated lines (printed as they happen) otherwise.
async Task<T> WithProgressAsync<T>(string step, Func<Task<T>> work) =>
    mode.Live ? await AnsiConsole.Status().StartAsync(step, _ => work()) : await work();
