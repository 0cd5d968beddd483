using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace StrideCampus.AiChat.IntegrationTests.Assistant;

/// <summary>
/// A model for worker tests (no network, no key): answers the last user message with <c>words</c> tokens, one per
/// <c>delay</c>, different for each generation of one prompt, and records how often each prompt was generated and
/// when a generation was cancelled.
/// </summary>
internal sealed class PacedChatClient(int words, TimeSpan delay) : IChatClient
{
    /// <summary>Generations started, by prompt (the last user message).</summary>
    public ConcurrentDictionary<string, int> Generations { get; } = new();

    /// <summary>When each cancelled generation saw its cancellation (a <see cref="Stopwatch"/> timestamp), by prompt.</summary>
    public ConcurrentDictionary<string, long> CancelledAt { get; } = new();

    /// <summary>The exact text generation <paramref name="generation"/> (1-based) of <paramref name="prompt"/> produces.</summary>
    public string Reply(string prompt, int generation) => string.Concat(Tokens(prompt, generation));

    public IEnumerable<string> Tokens(string prompt, int generation) =>
        Enumerable.Range(0, words).Select(i => i == 0 ? $"[{prompt} #{generation}]" : $" w{i}");

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<AiChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var generation = Generations.AddOrUpdate(prompt, 1, static (_, n) => n + 1);
        foreach (var token in Tokens(prompt, generation))
        {
            if (!await PauseAsync(cancellationToken))
            {
                CancelledAt[prompt] = Stopwatch.GetTimestamp();
                cancellationToken.ThrowIfCancellationRequested();
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, token);
        }
    }

    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            text.Append(update.Text);
        }

        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, text.ToString()));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private async Task<bool> PauseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
