using System.Runtime.CompilerServices;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>A model's token stream for streamed-reply tests, one token per <c>delay</c>.</summary>
internal static class TokenStream
{
    public static async IAsyncEnumerable<string> Paced(IEnumerable<string> tokens, TimeSpan delay, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var t in tokens)
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ct);
            }

            yield return t;
        }
    }
}
