using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>One SDK client of a user (a browser "tab"): its own HTTP client, realtime socket and message store.</summary>
internal sealed class SdkTab : IAsyncDisposable
{
    private readonly HttpClient _http;

    private SdkTab(HttpClient http, RequestCountingHandler requests, RealtimeClient realtime, MessageStore store)
    {
        _http = http;
        Requests = requests;
        Realtime = realtime;
        Store = store;
    }

    public RequestCountingHandler Requests { get; }

    public RealtimeClient Realtime { get; }

    public MessageStore Store { get; }

    public static async Task<SdkTab> OpenAsync(BenchStack stack, Guid userId, MessageStoreOptions options, CancellationToken ct)
    {
        var tokens = new StaticAccessTokenProvider(stack.Token(userId));
        var requests = new RequestCountingHandler();
        var http = new HttpClient(requests);
        var rest = new PostgrestClient(http, new PostgrestClientOptions { Url = stack.Server.ApiUrl, ApiKey = stack.Server.AnonKey }, tokens);
        var realtime = new RealtimeClient(new RealtimeClientOptions { Url = stack.Server.ApiUrl, ApiKey = stack.Server.AnonKey }, tokens);
        try
        {
            var store = await MessageStore.CreateAsync(rest, realtime, userId, options, cancellationToken: ct);
            return new SdkTab(http, requests, realtime, store);
        }
        catch
        {
            await realtime.DisposeAsync();
            http.Dispose();
            throw;
        }
    }

    /// <summary>Waits (bounded) until the store's realtime subscription is live.</summary>
    public async Task WaitConnectedAsync(CancellationToken ct)
    {
        for (var i = 0; i < 200 && !Store.IsRealtimeConnected; i++)
        {
            await Task.Delay(50, ct);
        }

        if (!Store.IsRealtimeConnected)
        {
            throw new TimeoutException("The store's realtime subscription did not connect within 10 s.");
        }
    }

    /// <summary>
    /// Creates a session in this tab and waits (bounded) until <paramref name="other"/> has it, so what follows does not
    /// race the session's own propagation. Throws <see cref="TimeoutException"/> if it never arrives.
    /// </summary>
    public async Task<Guid> CreateSessionSeenByAsync(SdkTab other, string title, CancellationToken ct)
    {
        var session = await Store.CreateSessionAsync(title, cancellationToken: ct);
        return await Poll.UntilAsync(() => other.Store.GetSessionById(session.Id) is not null, TimeSpan.FromSeconds(2), ct)
            ? session.Id
            : throw new TimeoutException("The other tab never saw the new session.");
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await Realtime.DisposeAsync();
        _http.Dispose();
    }
}
