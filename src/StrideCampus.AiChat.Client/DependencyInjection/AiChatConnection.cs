using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>
/// One signed-in user's own connection to the project: a PostgREST client and a realtime socket that
/// authenticate with the given <see cref="IAccessTokenProvider"/>, made from the container's settings by
/// <see cref="IAiChatFactory.Connect"/>. An app that shows several users, or several independent "tabs",
/// in one process opens one connection for each instead of one service container for each. It creates
/// chat types as the container's <see cref="IAiChatFactory"/> does, for its own user. Dispose the stores
/// and <see cref="RealtimeAIChats"/> it created, then the connection (it closes the socket).
/// </summary>
public sealed class AiChatConnection : IAiChatFactory, IAsyncDisposable
{
    private readonly AiChatFactory _factory;

    internal AiChatConnection(AiChatFactory factory, PostgrestClient rest, RealtimeClient realtime)
    {
        _factory = factory;
        Rest = rest;
        Realtime = realtime;
    }

    /// <summary>This connection's PostgREST client (for queries the chat types don't cover).</summary>
    public PostgrestClient Rest { get; }

    /// <summary>This connection's realtime client (its <see cref="RealtimeClient.State"/> is the socket's).</summary>
    public RealtimeClient Realtime { get; }

    /// <inheritdoc />
    public Task<MessageStore> CreateMessageStoreAsync(Guid? userId = null, CancellationToken cancellationToken = default) =>
        _factory.CreateMessageStoreAsync(userId, cancellationToken);

    /// <inheritdoc />
    public Task<RealtimeAIChats> CreateRealtimeAIChatsAsync(Guid? userId = null, Guid? sessionId = null, RealtimeAIChatsCallbacks? callbacks = null, CancellationToken cancellationToken = default) =>
        _factory.CreateRealtimeAIChatsAsync(userId, sessionId, callbacks, cancellationToken);

    /// <inheritdoc />
    public SupabaseAuthClient CreateAuthClient() => _factory.CreateAuthClient();

    /// <inheritdoc />
    public AiChatConnection Connect(IAccessTokenProvider accessTokens) => _factory.Connect(accessTokens);

    /// <summary>Closes this connection's realtime socket.</summary>
    /// <returns>A task that completes when the socket is closed.</returns>
    public ValueTask DisposeAsync() => Realtime.DisposeAsync();
}
