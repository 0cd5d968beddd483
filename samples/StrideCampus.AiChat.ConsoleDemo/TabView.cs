using Spectre.Console;
using Spectre.Console.Rendering;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.ConsoleDemo;

/// <summary>Draws a tab as the seed's components show it: connection indicator, session list, active chat.</summary>
internal static class TabView
{
    private const int MessagesShown = 8;

    public static IRenderable Render(ChatTab tab, int width)
    {
        var state = tab.Store.Current;
        var rows = new List<IRenderable>
        {
            new Markup($"[bold]{Markup.Escape(tab.Name)}[/]   {Indicator(tab.Realtime.State, state.IsRealtimeConnected)}"),
            new Rule { Style = Style.Parse("grey") },
            new Markup("[grey]Sessions[/]"),
        };
        if (state.Sessions.Count == 0)
        {
            rows.Add(new Markup("  [grey](none yet)[/]"));
        }
        foreach (var s in state.Sessions)
        {
            var marker = s.IsActive ? "[green]▶[/]" : " ";
            var pending = s.IsPending ? " [yellow](saving…)[/]" : "";
            rows.Add(new Markup($"{marker} {Markup.Escape(Clip(s.Title, width - 16))} [grey]({s.Messages.Count} msgs)[/]{pending}"));
        }
        rows.Add(new Rule { Style = Style.Parse("grey") });
        var active = state.ActiveSession;
        rows.Add(new Markup(active is null ? "[grey]No active session[/]" : $"[grey]Chat:[/] [bold]{Markup.Escape(Clip(active.Title, width - 10))}[/]"));
        if (active is not null)
        {
            foreach (var m in active.Messages.TakeLast(MessagesShown))
            {
                var who = m.IsUser ? "[blue]You[/]" : "[magenta]Assistant[/]";
                var cursor = m.Status == MessageStatus.Streaming ? " [yellow]▌[/]" : m.Status == MessageStatus.Error ? " [red](error)[/]" : "";
                var pending = active.IsMessagePending(m.Id) ? " [yellow](sending…)[/]" : "";
                rows.Add(new Markup($"{who}: {Markup.Escape(m.Content)}{cursor}{pending}"));
            }
        }
        rows.Add(new Rule { Style = Style.Parse("grey") });
        rows.Add(new Markup($"[grey]{state.Stats.SessionCount} sessions · {state.Stats.MessageCount} messages · {state.Stats.RealtimeEventsApplied} live events[/]"));
        return new Panel(new Rows(rows)) { Border = BoxBorder.Rounded, Expand = true };
    }

    /// <summary>The seed's indicator: green "● Live" when connected, yellow while connecting, red when disconnected.</summary>
    public static string Indicator(ConnectionState state, bool storeLive) => (state, storeLive) switch
    {
        (ConnectionState.Connected, true) => "[green]● Live[/]",
        (ConnectionState.Disconnected, _) => "[red]● Disconnected[/]",
        _ => "[yellow]● Connecting…[/]",
    };

    private static string Clip(string text, int max) => text.Length <= Math.Max(8, max) ? text : text[..(Math.Max(8, max) - 1)] + "…";
}
