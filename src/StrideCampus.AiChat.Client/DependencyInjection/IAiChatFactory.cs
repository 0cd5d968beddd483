using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>
/// Creates the chat types over the registered clients. The user defaults to the one whose access
/// token the registered <see cref="IAccessTokenProvider"/> holds (its <c>sub</c> claim). For more users
/// (or independent connections of one user) in the same process, sign each in with
/// <see cref="CreateAuthClient"/> and open their own <see cref="Connect">connection</see>.
/// </summary>
public interface IAiChatFactory
{
    /// <summary>Creates and loads a <see cref="MessageStore"/> for a user; dispose it when done.</summary>
    /// <param name="userId">The user; the signed-in user when null. When given, it must be the signed-in user (the token's <c>sub</c>).</param>
    /// <param name="cancellationToken">Cancels the initial load.</param>
    /// <exception cref="InvalidOperationException">No user id was given and no user is signed in.</exception>
    /// <exception cref="ArgumentException">The user id given is empty or is not the signed-in user's.</exception>
    /// <exception cref="ChatOperationException">The initial load failed.</exception>
    Task<MessageStore> CreateMessageStoreAsync(Guid? userId = null, CancellationToken cancellationToken = default);

    /// <summary>Creates <see cref="RealtimeAIChats"/> for a user, optionally for one session; dispose it when done.</summary>
    /// <param name="userId">The user; the signed-in user when null. When given, it must be the signed-in user (the token's <c>sub</c>).</param>
    /// <param name="sessionId">Only this session's messages, when given.</param>
    /// <param name="callbacks">Handlers for apps that do not use Rx.</param>
    /// <param name="cancellationToken">Cancels the subscription set-up.</param>
    /// <exception cref="InvalidOperationException">No user id was given and no user is signed in.</exception>
    /// <exception cref="ArgumentException">The user id given is empty or is not the signed-in user's.</exception>
    Task<RealtimeAIChats> CreateRealtimeAIChatsAsync(Guid? userId = null, Guid? sessionId = null, RealtimeAIChatsCallbacks? callbacks = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a signed-out auth client of its own (for one more user of this process), with the
    /// container's settings. Sign it in, pass it to <see cref="Connect"/>, and dispose it last.
    /// </summary>
    /// <returns>A new auth client; the caller owns it.</returns>
    SupabaseAuthClient CreateAuthClient();

    /// <summary>
    /// Opens a connection of its own (PostgREST client and realtime socket) for the user whose tokens
    /// <paramref name="accessTokens"/> provides, usually an auth client from <see cref="CreateAuthClient"/>.
    /// Nothing is sent until a store or <see cref="RealtimeAIChats"/> is created from it.
    /// </summary>
    /// <param name="accessTokens">The user's access tokens (the user is their <c>sub</c> claim).</param>
    /// <returns>The connection; dispose it after the chat types created from it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="accessTokens"/> is null.</exception>
    AiChatConnection Connect(IAccessTokenProvider accessTokens);
}
