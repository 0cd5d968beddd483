using Spectre.Console;
using StrideCampus.AiChat.ConsoleDemo;
using StrideCampus.AiChat.ConsoleDemo.Assistant;

// The README's first command. Starts LocalStack in this process (or uses SUPABASE_URL /
// SUPABASE_ANON_KEY / SUPABASE_EMAIL / SUPABASE_PASSWORD), opens two "tabs" of one user and plays a
// scripted conversation that shows every realtime sync feature. --once exits after the script
// (exit code 0 on success); --interactive lets you type messages afterwards.
var once = args.Contains("--once");
var interactive = args.Contains("--interactive") || (!once && !Console.IsInputRedirected);
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("usage: StrideCampus.AiChat.ConsoleDemo [--once] [--interactive]");
    Console.WriteLine("  --once         run the scripted conversation and exit (0 on success)");
    Console.WriteLine("  --interactive  after the script, type messages into tab A (the default in a terminal; empty line quits)");
    Console.WriteLine("Environment: SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_EMAIL, SUPABASE_PASSWORD to use a real project.");
    return 0;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
var live = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
var log = new List<string>();
void Narrate(string line)
{
    lock (log)
    {
        log.Add(line);
    }
    if (!live)
    {
        Console.WriteLine("» " + line);
    }
}

try
{
    Narrate("Starting the backend…");
    await using var backend = await DemoBackend.CreateAsync(cts.Token);
    Narrate("Backend: " + backend.Description);
    await using var tabA = await ChatTab.OpenAsync("Tab A", backend, signUp: backend.SignUp, cts.Token);
    await using var tabB = await ChatTab.OpenAsync("Tab B", backend, signUp: false, cts.Token);
    Narrate($"Signed in as {backend.Email} in both tabs.");
    using var assistant = new OfflineResponder(TimeSpan.FromMilliseconds(live ? 90 : 15));
    Narrate($"Assistant: {OfflineResponder.Label} (no network needed; plug any Microsoft.Extensions.AI IChatClient instead).");
    var script = new DemoScript(tabA, tabB, assistant, Narrate, live ? TimeSpan.FromSeconds(1.5) : TimeSpan.Zero);

    if (live)
    {
        await AnsiConsole.Live(Screen(tabA, tabB, log)).StartAsync(async ctx =>
        {
            var run = script.RunAsync(cts.Token);
            while (!run.IsCompleted)
            {
                ctx.UpdateTarget(Screen(tabA, tabB, log));
                await Task.WhenAny(run, Task.Delay(80, CancellationToken.None));
            }
            ctx.UpdateTarget(Screen(tabA, tabB, log));
            await run;
        });
        while (interactive && !once && !cts.IsCancellationRequested)
        {
            var text = AnsiConsole.Prompt(new TextPrompt<string>("[blue]You (tab A)[/], empty to quit:").AllowEmpty());
            if (string.IsNullOrWhiteSpace(text))
            {
                break;
            }
            // Start each turn's live view at the top, so a screen taller than what is left below the prompt is not cropped.
            AnsiConsole.Clear();
            await AnsiConsole.Live(Screen(tabA, tabB, log)).StartAsync(async ctx =>
            {
                var send = script.SendAsync(text, cts.Token);
                while (!send.IsCompleted)
                {
                    ctx.UpdateTarget(Screen(tabA, tabB, log));
                    await Task.WhenAny(send, Task.Delay(80, CancellationToken.None));
                }
                ctx.UpdateTarget(Screen(tabA, tabB, log));
                await send;
            });
        }
    }
    else
    {
        await script.RunAsync(cts.Token);
        AnsiConsole.Write(Screen(tabA, tabB, log));
    }
    return 0;
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

static Spectre.Console.Rendering.IRenderable Screen(ChatTab a, ChatTab b, List<string> log)
{
    var width = Math.Max(40, (Console.IsOutputRedirected ? 140 : Console.WindowWidth) / 2 - 2);
    var grid = new Grid().AddColumn().AddColumn();
    grid.AddRow(TabView.Render(a, width), TabView.Render(b, width));
    string[] recent;
    lock (log)
    {
        recent = log.TakeLast(4).ToArray();
    }
    return new Rows(
        new Markup("[bold]StrideCampus.AiChat[/] — two tabs of one user, kept in sync by Supabase Realtime"),
        grid,
        new Markup(string.Join('\n', recent.Select(l => "[grey]» " + Markup.Escape(l) + "[/]"))));
}
