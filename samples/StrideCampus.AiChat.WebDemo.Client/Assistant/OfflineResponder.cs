using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace StrideCampus.AiChat.WebDemo.Client.Assistant;

/// <summary>
/// A built-in, clearly labelled stand-in for a language model, so the demo streams replies with no
/// model key: it answers with canned lines, word by word. Any <see cref="IChatClient"/> can replace it.
/// </summary>
internal sealed class OfflineResponder(TimeSpan wordDelay) : IChatClient
{
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
        var words = OfflineReplies.For(messages.Count(m => m.Role == ChatRole.User)).Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            await Task.Delay(wordDelay, cancellationToken).ConfigureAwait(false);
            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? words[i] : " " + words[i]);
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
