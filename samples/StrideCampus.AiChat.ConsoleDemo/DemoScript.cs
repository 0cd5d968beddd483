using Microsoft.Extensions.AI;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.ConsoleDemo;

/// <summary>
/// The scripted conversation: every step acts in one tab and waits until the other tab shows the
/// result through realtime, so a run that finishes has shown each sync feature working. With
/// <paramref name="serverReplies"/> the replies come from the assistant worker beside the backend (the tabs hold
/// no model); otherwise tab A streams them from <paramref name="assistant"/> itself.
/// </summary>
internal sealed class DemoScript(ChatTab a, ChatTab b, IChatClient assistant, Action<string> narrate, TimeSpan stepPause, bool serverReplies = false)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(15);
    private Guid? _streaming;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        narrate($"{a.Name} creates a session; it appears in {b.Name}.");
        var trip = await a.Store.CreateSessionAsync("Trip to Lisbon", activate: true, cancellationToken);
        await WaitUntilAsync(b, s => s.ActiveSession?.Id == trip.Id, "the new session is active in " + b.Name, cancellationToken);
        await Task.Delay(stepPause, cancellationToken);

        narrate($"{a.Name} sends a message; it appears in {b.Name}.");
        var question = await a.Store.AddMessageAsync(trip.Id, "Plan three relaxed days in Lisbon, please.", cancellationToken: cancellationToken);
        await WaitUntilAsync(b, s => s.ActiveSession?.Messages.Any(m => m.Id == question.Id) == true, "the message reaches " + b.Name, cancellationToken);
        await Task.Delay(stepPause, cancellationToken);

        narrate($"The assistant's reply streams into {a.Name}; {b.Name} watches it grow.");
        var reply = await ReplyAsync(trip.Id, cancellationToken);
        await WaitUntilAsync(b, s => s.GetMessage(reply.Id) is { Status: MessageStatus.Complete } m && m.Content == reply.Content,
            "the complete reply reaches " + b.Name, cancellationToken);
        await Task.Delay(stepPause, cancellationToken);

        narrate($"{b.Name} starts another session and makes it active; {a.Name} follows.");
        var recipes = await b.Store.CreateSessionAsync("Weekend recipes", activate: true, cancellationToken);
        await WaitUntilAsync(a, s => s.ActiveSession?.Id == recipes.Id, a.Name + " follows the switch", cancellationToken);
        await Task.Delay(stepPause, cancellationToken);

        narrate($"{a.Name} switches back to the trip; {b.Name} follows.");
        await a.Store.SwitchToSessionAsync(trip.Id, cancellationToken);
        await WaitUntilAsync(b, s => s.ActiveSession?.Id == trip.Id, b.Name + " follows the switch", cancellationToken);
        await Task.Delay(stepPause, cancellationToken);

        narrate($"{b.Name} deletes the recipes session; it disappears from {a.Name}.");
        await b.Store.DeleteSessionAsync(recipes.Id, cancellationToken);
        await WaitUntilAsync(a, s => s.Sessions.All(x => x.Id != recipes.Id), "the session disappears from " + a.Name, cancellationToken);

        AssertSameState();
        narrate("Both tabs hold the same sessions and messages. Done.");
    }

    /// <summary>Sends a typed message from tab A and streams the assistant's answer (interactive mode).</summary>
    public async Task SendAsync(string text, CancellationToken cancellationToken)
    {
        var session = a.Store.GetActiveSession()?.Id ?? (await a.Store.CreateSessionAsync("Interactive chat", activate: true, cancellationToken)).Id;
        await a.Store.AddMessageAsync(session, text, cancellationToken: cancellationToken);
        var reply = await ReplyAsync(session, cancellationToken);
        // The turn ends when the other tab shows the finished reply too (the live view stops drawing then).
        await WaitUntilAsync(b, s => s.GetMessage(reply.Id) is { Status: not (MessageStatus.Pending or MessageStatus.Streaming) } m && m.Content == reply.Content,
            "the complete reply reaches " + b.Name, cancellationToken);
    }

    /// <summary>Stops the reply being generated, if any (the stop key; server replies only).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_streaming is { } id)
        {
            narrate("Stop: the worker ends the reply with what it wrote.");
            await b.Store.StopAssistantReplyAsync(id, cancellationToken); // from the other tab: any client may stop it
        }
    }

    /// <summary>The assistant's reply in tab A: asked of the worker (and watched until it ends), or streamed locally.</summary>
    private async Task<StrideCampus.AiChat.Client.Chat.ChatMessage> ReplyAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        if (!serverReplies)
        {
            return await a.Store.StreamAssistantReplyAsync(sessionId, assistant, cancellationToken: cancellationToken);
        }

        var requested = await a.Store.RequestAssistantReplyAsync(sessionId, cancellationToken);
        _streaming = requested.Id;
        try
        {
            await WaitUntilAsync(a, s => s.GetMessage(requested.Id) is { Status: not (MessageStatus.Pending or MessageStatus.Streaming) },
                "the worker finishes the reply", cancellationToken);
        }
        finally
        {
            _streaming = null;
        }

        return a.Store.Current.GetMessage(requested.Id)!;
    }

    private void AssertSameState()
    {
        static string Fingerprint(MessageStoreState s) => string.Join('\n', s.Sessions.OrderBy(x => x.Id).Select(x =>
            $"{x.Id}|{x.Title}|{x.IsActive}|" + string.Join(',', x.Messages.Select(m => $"{m.Id}:{m.Status}:{m.Content.Length}"))));
        var fa = Fingerprint(a.Store.Current);
        var fb = Fingerprint(b.Store.Current);
        if (fa != fb)
        {
            throw new DemoFailedException($"The tabs disagree.\n{a.Name}:\n{fa}\n{b.Name}:\n{fb}");
        }
    }

    private static async Task WaitUntilAsync(ChatTab tab, Func<MessageStoreState, bool> condition, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StepTimeout);
        try
        {
            while (!condition(tab.Store.Current))
            {
                await Task.Delay(20, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DemoFailedException($"Timed out after {StepTimeout.TotalSeconds:F0} s waiting until {what}.");
        }
    }
}

internal static class MessageStoreStateExtensions
{
    public static StrideCampus.AiChat.Client.Chat.ChatMessage? GetMessage(this MessageStoreState state, Guid id) =>
        state.Sessions.SelectMany(s => s.Messages).FirstOrDefault(m => m.Id == id);
}

internal sealed class DemoFailedException(string message) : Exception(message);
