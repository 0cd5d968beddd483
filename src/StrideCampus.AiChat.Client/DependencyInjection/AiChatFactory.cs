using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>The registered <see cref="IAiChatFactory"/>: chat types over the container's clients.</summary>
internal sealed class AiChatFactory(
    PostgrestClient rest,
    RealtimeClient realtime,
    IAccessTokenProvider tokens,
    AiChatClientOptions options,
    IHttpClientFactory httpClients,
    ILoggerFactory loggerFactory) : IAiChatFactory
{
    public async Task<MessageStore> CreateMessageStoreAsync(Guid? userId = null, CancellationToken cancellationToken = default)
    {
        var user = await ResolveUserAsync(userId, cancellationToken).ConfigureAwait(false);
        return await MessageStore.CreateAsync(rest, realtime, user, options.Store, loggerFactory, cancellationToken).ConfigureAwait(false);
    }

    public async Task<RealtimeAIChats> CreateRealtimeAIChatsAsync(Guid? userId = null, Guid? sessionId = null, RealtimeAIChatsCallbacks? callbacks = null, CancellationToken cancellationToken = default)
    {
        var user = await ResolveUserAsync(userId, cancellationToken).ConfigureAwait(false);
        return await RealtimeAIChats.CreateAsync(
            realtime,
            rest,
            user,
            new RealtimeAIChatsOptions { SessionId = sessionId, Callbacks = callbacks, Scheduler = options.Store.Scheduler },
            loggerFactory,
            cancellationToken).ConfigureAwait(false);
    }

    public SupabaseAuthClient CreateAuthClient() => AiChatClients.CreateAuth(httpClients, options, loggerFactory);

    public AiChatConnection Connect(IAccessTokenProvider accessTokens)
    {
        ArgumentNullException.ThrowIfNull(accessTokens);
        var userRest = AiChatClients.CreateRest(httpClients, options, accessTokens, loggerFactory);
        var userRealtime = AiChatClients.CreateRealtime(options, accessTokens, loggerFactory);
        return new AiChatConnection(
            new AiChatFactory(userRest, userRealtime, accessTokens, options, httpClients, loggerFactory), userRest, userRealtime);
    }

    // The token's user; an id passed that contradicts it is refused before any request.
    private Task<Guid> ResolveUserAsync(Guid? userId, CancellationToken cancellationToken) =>
        TokenUser.ResolveAsync(tokens, userId, nameof(userId), cancellationToken);
}
