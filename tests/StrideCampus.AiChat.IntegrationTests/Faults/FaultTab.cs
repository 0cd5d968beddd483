using System.Reactive.Concurrency;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Faults;

/// <summary>One client of a user whose REST and realtime traffic both go through a <see cref="FaultProxy"/>.</summary>
internal sealed class FaultTab : IAsyncDisposable
{
    private readonly HttpClient _http;

    private FaultTab(int index, HttpClient http, PostgrestClient rest, RealtimeClient realtime, MessageStore store)
    {
        Index = index;
        _http = http;
        Rest = rest;
        Realtime = realtime;
        Store = store;
    }

    public int Index { get; }

    public PostgrestClient Rest { get; }

    public RealtimeClient Realtime { get; }

    public MessageStore Store { get; }

    public static async Task<FaultTab> OpenAsync(int index, LocalStackServer stack, Uri url, Guid userId)
    {
        var tokens = new StaticAccessTokenProvider(RealtimeTestData.Token(stack, userId));
        // A short HTTP timeout: a request stuck on a stalled connection fails (typed) instead of hanging the test.
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }) { Timeout = TimeSpan.FromSeconds(3) };
        var rest = new PostgrestClient(http, new PostgrestClientOptions { Url = url, ApiKey = stack.AnonKey, RetryBaseDelay = TimeSpan.FromMilliseconds(100), MaxRetries = 3 }, tokens);
        var realtime = new RealtimeClient(
            new RealtimeClientOptions
            {
                Url = url,
                ApiKey = stack.AnonKey,
                HeartbeatInterval = TimeSpan.FromSeconds(1), // only heartbeats notice a stalled socket
                Timeout = TimeSpan.FromSeconds(2),
                ReconnectDelay = n => TimeSpan.FromMilliseconds(Math.Min(200 * n, 1000)),
                RejoinDelay = _ => TimeSpan.FromMilliseconds(200),
            },
            tokens);
        var store = await MessageStore.CreateAsync(rest, realtime, userId, new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance, MaxStreamWritesPerSecond = 20 });
        return new FaultTab(index, http, rest, realtime, store);
    }

    /// <summary>The store in a comparable shape: sessions, then each session's messages in order with content and status.</summary>
    public string Dump() => Format(Store.Current.Sessions.Select(s => (s.Id, s.Title, s.Messages.Select(m => (m.Id, m.Content, m.Status.ToString())).ToList())));

    public static string Format(IEnumerable<(Guid Id, string Title, List<(Guid Id, string Content, string Status)> Messages)> sessions) =>
        string.Join("\n", sessions.OrderBy(s => s.Id).Select(s => $"{s.Id}|{s.Title}" + string.Concat(s.Messages.Select(m => $"\n  {m.Id}|{m.Status.ToLowerInvariant()}|{m.Content}"))));

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await Realtime.DisposeAsync();
        _http.Dispose();
    }
}
