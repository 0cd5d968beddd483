namespace StrideCampus.AiChat.Benchmarks.Infrastructure;

/// <summary>Counts the bytes of every HTTP response body a client receives (buffered first, so the count is exact).</summary>
internal sealed class ReceivedBytes() : DelegatingHandler(new SocketsHttpHandler())
{
    private long _bytes;
    private long _requests;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Requests => Interlocked.Read(ref _requests);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _bytes, response.Content.Headers.ContentLength ?? 0);
        Interlocked.Increment(ref _requests);
        return response;
    }
}
