using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Benchmarks.Infrastructure;

/// <summary>The SDK's REST and realtime clients of one user, signed in with a static token.</summary>
internal sealed class UserClients : IAsyncDisposable
{
    private readonly HttpClient _http;

    public UserClients(BenchServer server, Guid userId, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        UserId = userId;
        var tokens = new StaticAccessTokenProvider(server.Token(userId));
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        Rest = new PostgrestClient(_http, new PostgrestClientOptions { Url = server.ApiUrl, ApiKey = server.AnonKey }, tokens);
        Realtime = new RealtimeClient(new RealtimeClientOptions { Url = server.ApiUrl, ApiKey = server.AnonKey }, tokens);
    }

    public Guid UserId { get; }

    public PostgrestClient Rest { get; }

    public RealtimeClient Realtime { get; }

    /// <summary>
    /// A store built as <see cref="MessageStore.CreateAsync"/> builds it, but keeping hold of its change feed so
    /// the caller knows the channel topic the store listens on.
    /// </summary>
    public async Task<(MessageStore Store, string Topic)> CreateStoreAsync(MessageStoreOptions options, CancellationToken cancellationToken)
    {
        var feed = new RealtimeChatChangeFeed(Realtime, UserId, null, null);
        var store = new MessageStore(new PostgrestChatDataSource(Rest, UserId), feed, UserId, options);
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return (store, "realtime:" + feed.ChannelName);
    }

    public async ValueTask DisposeAsync()
    {
        await Realtime.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
    }
}
