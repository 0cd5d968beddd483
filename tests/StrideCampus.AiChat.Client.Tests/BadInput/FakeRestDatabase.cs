using System.Net;
using System.Text;

namespace StrideCampus.AiChat.Client.Tests.BadInput;

/// <summary>
/// The database behind a fuzzed realtime stream: answers the store's PostgREST reads with the valid rows sent so
/// far (one session with its messages), so a refetch the store makes after a dropped change finds the truth.
/// </summary>
internal sealed class FakeRestDatabase : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly List<string> _messages = [];
    private string? _session;

    public int Reads { get; private set; }

    public void SetSession(string json)
    {
        lock (_gate)
        {
            _session = json;
        }
    }

    public void AddMessage(string json)
    {
        lock (_gate)
        {
            _messages.Add(json);
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string body;
        lock (_gate)
        {
            Reads++;
            var path = request.RequestUri!.AbsolutePath;
            var query = Uri.UnescapeDataString(request.RequestUri.Query);
            var messages = "[" + string.Join(",", _messages) + "]";
            if (path.EndsWith("/rpc/ai_chat_sync_point", StringComparison.Ordinal))
            {
                body = "1"; // every read returns everything: any sync point will do
            }
            else if (request.Method != HttpMethod.Get || path.EndsWith("/ai_chat_deletions", StringComparison.Ordinal))
            {
                body = "[]";
            }
            else if (path.EndsWith("/ai_chat_sessions", StringComparison.Ordinal))
            {
                body = _session is null || query.Contains("id=gt.", StringComparison.Ordinal) ? "[]"
                    : query.Contains("ai_chat_messages", StringComparison.Ordinal) ? "[" + _session[..^1] + ",\"ai_chat_messages\":" + messages + "}]"
                    : "[" + _session + "]";
            }
            else
            {
                body = query.Contains("id=gt.", StringComparison.Ordinal) ? "[]" : messages;
            }
        }

        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
