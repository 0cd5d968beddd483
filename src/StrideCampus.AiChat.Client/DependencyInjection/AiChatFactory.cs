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

    private async Task<Guid> ResolveUserAsync(Guid? userId, CancellationToken cancellationToken)
    {
        if (userId is { } given)
        {
            return given != Guid.Empty ? given : throw new ArgumentException("The user id must not be empty.", nameof(userId));
        }
        var token = await tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        return JwtSubject.TryRead(token)
            ?? throw new InvalidOperationException("No user is signed in: sign in with SupabaseAuthClient first, or pass the user id.");
    }
}
