using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace StrideCampus.AiChat.Client.Tests.BadInput;

/// <summary>Answers every request with an empty JSON array (200) and records it: proves what went out, and that nothing did.</summary>
internal sealed class RecordingHandler : HttpMessageHandler
{
    public ConcurrentQueue<string> Requests { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue($"{request.Method} {request.RequestUri}");
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("[]", Encoding.UTF8, "application/json") });
    }
}
