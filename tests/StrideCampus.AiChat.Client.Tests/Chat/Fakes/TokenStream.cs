using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;

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

    /// <summary>
    /// Tokens <paramref name="step"/> apart on a virtual clock: the clock moves before each token, so rates measured on
    /// it do not depend on how busy the machine is. <paramref name="beforeToken"/>, if given, is awaited before each
    /// token (by index); <paramref name="ended"/> is set once the stream ended (after the last token, or failed).
    /// </summary>
    public static async IAsyncEnumerable<string> OnVirtualClock(
        IReadOnlyList<string> tokens, FakeTimeProvider time, TimeSpan step, Func<int, Task>? beforeToken = null,
        TaskCompletionSource? ended = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        try
        {
            for (var i = 0; i < tokens.Count; i++)
            {
                if (beforeToken is not null)
                {
                    await beforeToken(i).WaitAsync(Eventually.DefaultTimeout, ct);
                }

                time.Advance(step);
                await Task.Yield();
                ct.ThrowIfCancellationRequested();
                yield return tokens[i];
            }
        }
        finally
        {
            ended?.TrySetResult(); // also when a wait failed: the stream then ends with that error, not a hang
        }
    }

    /// <summary>
    /// Awaits <paramref name="task"/> once <paramref name="ended"/> is done, moving the clock meanwhile: the writer
    /// waits its interval on it before the final write.
    /// </summary>
    public static async Task<T> FinishOnVirtualClockAsync<T>(Task<T> task, Task ended, FakeTimeProvider time)
    {
        await Task.WhenAny(task, ended);
        await Eventually.TrueAsync(
            () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(100));
                return task.IsCompleted;
            },
            "the stream to finish");
        return await task;
    }
}
