using System.Collections.Concurrent;
using System.Diagnostics;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// Counts the HTTP requests a client sends, by method (to count the database writes a stream causes), and times each
/// exchange from the request leaving the SDK to its response body being read (to split the SDK's share from the wire's).
/// </summary>
internal sealed class RequestCountingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    /// <summary>Round trip of each exchange in milliseconds (drained by <see cref="TakeExchanges"/>).</summary>
    private readonly ConcurrentQueue<double> _exchanges = new();

    public double[] TakeExchanges()
    {
        var taken = new List<double>();
        while (_exchanges.TryDequeue(out var ms))
        {
            taken.Add(ms);
        }

        return [.. taken];
    }

    private readonly ConcurrentQueue<long> _writeStarts = new();

    /// <summary>When each POST/PATCH left the SDK (Stopwatch ticks), oldest first.</summary>
    public long[] WriteStarts => [.. _writeStarts];

    /// <summary>Forgets the write starts and exchanges so far, so a measurement sees only its own requests.</summary>
    public void Reset()
    {
        _writeStarts.Clear();
        _exchanges.Clear();
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post || request.Method == HttpMethod.Patch)
        {
            _writeStarts.Enqueue(Stopwatch.GetTimestamp());
        }

        return TimedAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> TimedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        // Buffer the body here so the time covers the whole response, as the SDK then reads it from memory.
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        _exchanges.Enqueue(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return response;
    }
}
