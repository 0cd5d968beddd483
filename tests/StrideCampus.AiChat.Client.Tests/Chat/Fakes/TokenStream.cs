using System.Runtime.CompilerServices;

namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>A model's token stream for streamed-reply tests: paced, and optionally failing after the last token.</summary>
internal static class TokenStream
{
    public static async IAsyncEnumerable<string> Paced(
        IEnumerable<string> tokens, TimeSpan delay, Exception? failAfter = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var t in tokens)
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ct);
            }
            else
            {
                await Task.Yield();
            }

            yield return t;
        }

        if (failAfter is not null)
        {
            throw failAfter;
        }
    }
}
