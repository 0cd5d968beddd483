using Spectre.Console;
using Spectre.Console.Rendering;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.ConsoleDemo;

/// <summary>
/// Draws a tab as the seed's components show it: connection indicator, session list, active chat and
/// counters. The chat shows the newest messages that fit in the lines it is given (the start of a
/// message too long for them is cut), so the header stays on screen in a small terminal.
/// </summary>
internal static class TabView
{
    /// <summary>The parts of a tab: above the messages, the messages (oldest first), below them.</summary>
    public sealed record Parts(List<IRenderable> Top, List<IRenderable> Messages, List<IRenderable> Bottom);

    public static Parts Build(string name, MessageStoreState state, ConnectionState connection, int innerWidth)
    {
        var top = new List<IRenderable>
        {
            new Markup($"[bold]{Markup.Escape(name)}[/]   {Indicator(connection, state.IsRealtimeConnected)}"),
            new Rule { Style = Style.Parse("grey") },
            new Markup("[grey]Sessions[/]"),
        };
        if (state.Sessions.Count == 0)
        {
            top.Add(new Markup("  [grey](none yet)[/]"));
        }
        foreach (var s in state.Sessions)
        {
            var marker = s.IsActive ? "[green]▶[/]" : " ";
            var pending = s.IsPending ? " [yellow](saving…)[/]" : "";
            var count = Count(s.Messages.Count, "msg", "msgs");
            top.Add(new Markup($"{marker} {Markup.Escape(Clip(s.Title, innerWidth - count.Length - 5))} [grey]({count})[/]{pending}"));
        }
        top.Add(new Rule { Style = Style.Parse("grey") });
        var active = state.ActiveSession;
        top.Add(new Markup(active is null ? "[grey]No active session[/]" : $"[grey]Chat:[/] [bold]{Markup.Escape(Clip(active.Title, innerWidth - 6))}[/]"));

        var messages = new List<IRenderable>();
        if (active is not null)
        {
            foreach (var m in active.Messages)
            {
                messages.Add(Message(m, active.IsMessagePending(m.Id), m.Content));
            }
        }

        var stats = state.Stats;
        var bottom = new List<IRenderable>
        {
            new Rule { Style = Style.Parse("grey") },
            new Markup($"[grey]{Counters(stats, innerWidth)}[/]"),
        };
        return new Parts(top, messages, bottom);
    }

    /// <summary>A message line; <paramref name="text"/> is its content or the end of it.</summary>
    public static Markup Message(ChatMessage m, bool pending, string text)
    {
        var who = m.IsUser ? "[blue]You[/]" : "[magenta]Assistant[/]";
        var cursor = m.Status == MessageStatus.Streaming ? " [yellow]▌[/]" : m.Status == MessageStatus.Error ? " [red](error)[/]" : "";
        var sending = pending ? " [yellow](sending…)[/]" : "";
        return new Markup($"{who}: {Markup.Escape(text)}{cursor}{sending}");
    }

    /// <summary>The counters on one line: "2 sessions · 3 messages · 26 live events", or shorter when narrow.</summary>
    public static string Counters(MessageStoreStats stats, int innerWidth)
    {
        var sessions = Count(stats.SessionCount, "session", "sessions");
        var full = $"{sessions} · {Count(stats.MessageCount, "message", "messages")} · {Count(stats.RealtimeEventsApplied, "live event", "live events")}";
        return full.Length <= innerWidth ? full : $"{sessions} · {Count(stats.MessageCount, "msg", "msgs")} · {stats.RealtimeEventsApplied} live";
    }

    /// <summary>"1 session", "2 sessions", "0 sessions".</summary>
    public static string Count(long n, string one, string many) => n == 1 ? $"1 {one}" : $"{n} {many}";

    /// <summary>The seed's indicator: green "● Live" when connected, yellow while connecting, red when disconnected.</summary>
    public static string Indicator(ConnectionState state, bool storeLive) => (state, storeLive) switch
    {
        (ConnectionState.Connected, true) => "[green]● Live[/]",
        (ConnectionState.Disconnected, _) => "[red]● Disconnected[/]",
        _ => "[yellow]● Connecting…[/]",
    };

    private static string Clip(string text, int max) => text.Length <= Math.Max(8, max) ? text : text[..(Math.Max(8, max) - 1)] + "…";
}
