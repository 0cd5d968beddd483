using Spectre.Console;
using Spectre.Console.Rendering;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.ConsoleDemo;

/// <summary>What one tab shows: its name, its store's state and its socket's state.</summary>
internal sealed record TabSnapshot(string Name, MessageStoreState State, ConnectionState Connection);

/// <summary>
/// The demo's screen: a title, the two tabs side by side in panels of equal height, and the latest
/// narration. Given a terminal height, it fits in it (one line spare for the cursor): the chats show
/// their newest lines, so the title and the tab headers never scroll away (80x24 included).
/// </summary>
internal static class DemoScreen
{
    private const string Title = "[bold]StrideCampus.AiChat[/] — two tabs of one user, kept in sync by Supabase Realtime";

    public static IRenderable Build(TabSnapshot a, TabSnapshot b, IReadOnlyList<string> log, int width, int? height)
    {
        var options = RenderOptions.Create(AnsiConsole.Console, AnsiConsole.Console.Profile.Capabilities);
        width = Math.Max(40, width);
        // Two columns with one space between; a panel's border and padding take 4 columns.
        var columnWidth = (width - 1) / 2;
        var inner = columnWidth - 4;
        var narration = log.Count == 0
            ? null
            : new Markup(string.Join('\n', log.TakeLast(height is < 30 ? 2 : 4).Select(l => "[grey]» " + Markup.Escape(l) + "[/]")));
        var title = new Markup(Title);
        var panelLines = height is { } h
            ? h - 1 - Lines(title, width, options) - (narration is null ? 0 : Lines(narration, width, options))
            : int.MaxValue;

        var pa = TabView.Build(a.Name, a.State, a.Connection, inner);
        var pb = TabView.Build(b.Name, b.State, b.Connection, inner);
        var contentLines = panelLines == int.MaxValue ? int.MaxValue : Math.Max(0, panelLines - 2);
        var ra = Fit(pa, a.State, inner, contentLines, options);
        var rb = Fit(pb, b.State, inner, contentLines, options);
        // Equal heights: blank lines above the counters of the shorter tab, so both bottoms line up.
        var target = Math.Max(ra.Lines, rb.Lines);
        var grid = new Grid()
            .AddColumn(new GridColumn { Width = columnWidth, Padding = new Padding(0, 0, 1, 0) })
            .AddColumn(new GridColumn { Width = columnWidth, Padding = new Padding(0) });
        grid.AddRow(Panel(pa, ra, target), Panel(pb, rb, target));
        return narration is null ? new Rows(title, grid) : new Rows(title, grid, narration);
    }

    private sealed record Fitted(List<IRenderable> Messages, int Lines);

    /// <summary>The newest messages that fit in <paramref name="maxLines"/> with the tab's other rows.</summary>
    private static Fitted Fit(TabView.Parts parts, MessageStoreState state, int inner, int maxLines, RenderOptions options)
    {
        var fixedLines = parts.Top.Concat(parts.Bottom).Sum(r => Lines(r, inner, options));
        var budget = maxLines == int.MaxValue ? int.MaxValue : maxLines - fixedLines;
        var shown = new List<IRenderable>();
        var used = 0;
        var messages = state.ActiveSession?.Messages ?? [];
        for (var i = parts.Messages.Count - 1; i >= 0 && used < budget; i--)
        {
            var lines = Lines(parts.Messages[i], inner, options);
            if (used + lines <= budget)
            {
                shown.Insert(0, parts.Messages[i]);
                used += lines;
                continue;
            }
            // The oldest message shown does not fit whole: show its end.
            var m = messages[i];
            var pending = state.ActiveSession!.IsMessagePending(m.Id);
            var keep = m.Content.Length;
            Markup cut;
            do
            {
                keep = keep * 3 / 4;
                cut = TabView.Message(m, pending, "…" + m.Content[^keep..]);
            }
            while (keep > 0 && used + Lines(cut, inner, options) > budget);
            if (used + Lines(cut, inner, options) <= budget)
            {
                shown.Insert(0, cut);
                used += Lines(cut, inner, options);
            }
            break;
        }
        return new Fitted(shown, fixedLines + used);
    }

    private static Panel Panel(TabView.Parts parts, Fitted fitted, int targetLines)
    {
        var rows = new List<IRenderable>(parts.Top);
        rows.AddRange(fitted.Messages);
        for (var i = fitted.Lines; i < targetLines; i++)
        {
            rows.Add(new Text(""));
        }
        rows.AddRange(parts.Bottom);
        return new Panel(new Rows(rows)) { Border = BoxBorder.Rounded, Expand = true };
    }

    private static int Lines(IRenderable renderable, int width, RenderOptions options) =>
        Segment.SplitLines(renderable.Render(options, width)).Count;
}
