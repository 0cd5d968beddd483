using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>A fake model for the assistant bench: <c>tokens</c> words, one per <c>delay</c>, no network.</summary>
internal sealed class PacedModel(int tokens, TimeSpan delay) : IChatClient
{
    private int _generations;

    public int Generations => Volatile.Read(ref _generations);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _generations);
        for (var i = 0; i < tokens; i++)
        {
            await Task.Delay(delay, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? "w0" : $" w{i}");
        }
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The worker streams.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
