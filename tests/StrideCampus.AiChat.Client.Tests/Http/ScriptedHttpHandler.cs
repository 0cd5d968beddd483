using System.Net;
using System.Text;

namespace StrideCampus.AiChat.Client.Tests.Http;

/// <summary>A request as the handler saw it (headers and body copied before the request is disposed).</summary>
internal sealed record RecordedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, string? Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The path and query as sent (still percent-encoded).</summary>
    public string PathAndQuery => Uri.PathAndQuery;
}

/// <summary>An <see cref="HttpMessageHandler"/> that answers from a script and records every request.</summary>
internal sealed class ScriptedHttpHandler : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly Queue<Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>> _script = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly SemaphoreSlim _received = new(0);

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public ScriptedHttpHandler Respond(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> respond)
    {
        lock (_gate)
        {
            _script.Enqueue(respond);
        }

        return this;
    }

    public ScriptedHttpHandler RespondJson(HttpStatusCode status, string json, Action<HttpResponseMessage>? configure = null) =>
        Respond((_, _) =>
        {
            var response = Json(status, json);
            configure?.Invoke(response);
            return Task.FromResult(response);
        });

    public ScriptedHttpHandler RespondText(HttpStatusCode status, string text, string mediaType = "text/html") =>
        Respond((_, _) => Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(text, Encoding.UTF8, mediaType) }));

    public ScriptedHttpHandler Throw(Exception exception) => Respond((_, _) => Task.FromException<HttpResponseMessage>(exception));

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>Waits until at least <paramref name="count"/> requests arrived.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Requests.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Expected {count} requests, saw {Requests.Count}.");
            }

            await _received.WaitAsync(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers.NonValidated)
        {
            headers[header.Key] = string.Join(", ", header.Value);
        }

        string? body = null;
        if (request.Content is not null)
        {
            foreach (var header in request.Content.Headers.NonValidated)
            {
                headers[header.Key] = string.Join(", ", header.Value);
            }

            body = await request.Content.ReadAsStringAsync(cancellationToken);
        }

        Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>? next;
        lock (_gate)
        {
            _requests.Add(new RecordedRequest(request.Method, request.RequestUri!, headers, body));
            _script.TryDequeue(out next);
        }

        _received.Release();
        if (next is null)
        {
            throw new InvalidOperationException($"Unexpected request {request.Method} {request.RequestUri}");
        }

        return await next(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _received.Dispose();
        }

        base.Dispose(disposing);
    }
}
