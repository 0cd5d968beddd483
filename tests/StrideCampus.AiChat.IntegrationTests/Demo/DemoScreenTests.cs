using Spectre.Console;
using Spectre.Console.Rendering;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.ConsoleDemo;

namespace StrideCampus.AiChat.IntegrationTests.Demo;

/// <summary>The demo's screen and mode, without a terminal (issue 17: a newcomer's first screen).</summary>
public sealed class DemoScreenTests
{
    private static readonly Guid User = Guid.NewGuid();
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void At_80x24_while_a_reply_streams_the_screen_fits_keeps_both_tab_headers_and_the_panels_are_equal()
    {
        var reply = string.Concat(Enumerable.Repeat("Day one: Alfama at a slow pace, a tram ride and a long lunch. ", 8));
        var a = Tab("Tab A", messages: 2, replySoFar: reply);
        var b = Tab("Tab B", messages: 2, replySoFar: reply[..40]); // B lags behind A
        var log = Enumerable.Range(1, 6).Select(i => $"step {i} of the script").ToList();

        var lines = Draw(DemoScreen.Build(a, b, log, 80, 24), 80);

        Assert.True(lines.Count <= 23, $"{lines.Count} lines:\n{string.Join('\n', lines)}");
        Assert.Contains("StrideCampus.AiChat", lines[0], StringComparison.Ordinal);
        Assert.Contains("Tab A", lines[2], StringComparison.Ordinal);
        Assert.Contains("Tab B", lines[2], StringComparison.Ordinal);
        Assert.Equal(2, lines[1].Count(c => c == '╭'));
        // Both bottoms on one line: the panels have the same height.
        var bottoms = lines.Where(l => l.Contains('╰', StringComparison.Ordinal)).ToList();
        Assert.Single(bottoms);
        Assert.Equal(2, bottoms[0].Count(c => c == '╰'));
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, l));
        Assert.Contains(lines, l => l.Contains("step 6 of the script", StringComparison.Ordinal)); // the latest narration
        Assert.Contains(lines, l => l.Contains("…", StringComparison.Ordinal) && l.Contains("Assistant", StringComparison.Ordinal)); // the long reply shows its end
    }

    [Fact]
    public void Without_a_height_nothing_is_cut_and_the_panels_are_still_equal()
    {
        var reply = string.Concat(Enumerable.Repeat("A long reply. ", 30));
        var lines = Draw(DemoScreen.Build(Tab("Tab A", 2, reply), Tab("Tab B", 2, reply[..20]), ["done"], 120, null), 120);
        Assert.Single(lines, l => l.Count(c => c == '╰') == 2);
        Assert.DoesNotContain(lines, l => l.Contains("…", StringComparison.Ordinal) && l.Contains("Assistant", StringComparison.Ordinal));
    }

    [Fact]
    public void One_of_a_thing_is_singular()
    {
        var lines = string.Join('\n', Draw(DemoScreen.Build(Tab("Tab A", 1, null), Tab("Tab B", 1, null), [], 100, null), 100));
        Assert.Contains("(1 msg)", lines, StringComparison.Ordinal);
        Assert.Contains("(0 msgs)", lines, StringComparison.Ordinal);
        Assert.Contains("2 sessions · 1 message · 1 live event", lines, StringComparison.Ordinal);
        Assert.DoesNotContain("1 msgs", lines, StringComparison.Ordinal);
        Assert.DoesNotContain("1 messages", lines, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false, false, false, true, true, false, "--once was given")]
    [InlineData(false, false, true, false, true, true, false, "standard input is redirected (pass --interactive to type anyway)")]
    [InlineData(false, true, true, false, true, true, true, null)]
    [InlineData(false, false, false, true, true, false, false, "standard output is redirected")]
    [InlineData(false, false, false, false, false, false, false, "the terminal is not interactive (a CI environment, or TERM=dumb)")]
    [InlineData(false, false, false, false, true, true, true, null)]
    public void The_demo_says_why_it_skips_interactive_mode(
        bool once, bool asked, bool inRedirected, bool outRedirected, bool terminal, bool live, bool interactive, string? reason)
    {
        var mode = DemoMode.Decide(once, asked, inRedirected, outRedirected, terminal);
        Assert.Equal(live, mode.Live);
        Assert.Equal(interactive, mode.Interactive);
        Assert.Equal(reason, mode.SkippedBecause);
        Assert.Equal(reason is null ? null : $"Interactive mode skipped: {reason}.", mode.Notice);
    }

    private static TabSnapshot Tab(string name, int messages, string? replySoFar)
    {
        var trip = new ChatSession(Guid.Parse("00000000-0000-0000-0000-000000000001"), User, "Trip to Lisbon", true, T0, T0);
        var recipes = new ChatSession(Guid.Parse("00000000-0000-0000-0000-000000000002"), User, "Weekend recipes", false, T0, T0);
        var list = new List<ChatMessage> { new(Guid.NewGuid(), trip.Id, User, "Plan three relaxed days in Lisbon, please.", true, MessageStatus.Complete, T0, T0, null) };
        if (messages > 1)
        {
            list.Add(new(Guid.NewGuid(), trip.Id, User, replySoFar ?? "", false, MessageStatus.Streaming, T0.AddSeconds(1), T0.AddSeconds(1), null));
        }
        var active = new ChatSessionState(trip, list, true, false, new HashSet<Guid>());
        var other = new ChatSessionState(recipes, [], true, false, new HashSet<Guid>());
        var stats = new MessageStoreStats(2, list.Count, 2, 0, list.Count, 0, 1, 1, 0, 0, 0, T0);
        return new TabSnapshot(name, new MessageStoreState([other, active], active, false, true, true, stats, 1), ConnectionState.Connected);
    }

    private static List<string> Draw(IRenderable screen, int width)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        console.Profile.Capabilities.Unicode = true;
        console.Write(screen);
        return [.. writer.ToString().TrimEnd('\n').Split('\n').Select(l => l.TrimEnd('\r'))];
    }
}
