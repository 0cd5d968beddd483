using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace StrideCampus.AiChat.ConsoleDemo.Assistant;

/// <summary>
/// A built-in, clearly labelled stand-in for a language model, so the demo streams a reply with
/// no network access. It answers from a few canned lines and streams them word by word.
/// </summary>
internal sealed class OfflineResponder(TimeSpan tokenDelay) : IChatClient
{
    public const string Label = "[offline demo responder]";

    private static readonly string[] Replies =
    [
        "Realtime sync means every open client of yours sees this reply grow, token by token, as it is written.",
        "Each token lands in the local store at once; the database sees a coalesced write a few times a second, and every other client follows through Supabase Realtime.",
        "Switch the active session in one tab and watch the other follow: the switch is one database transaction, so every client agrees on exactly one active session.",
    ];

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
        }
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var turn = messages.Count(m => m.Role == ChatRole.User);
        var reply = Label + " " + Replies[Math.Max(0, turn - 1) % Replies.Length];
        var words = reply.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            await Task.Delay(tokenDelay, cancellationToken).ConfigureAwait(false);
            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? words[i] : " " + words[i]);
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
