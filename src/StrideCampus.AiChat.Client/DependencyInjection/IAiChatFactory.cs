using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>
/// Creates the chat types over the registered clients. The user defaults to the one whose access
/// token the registered <see cref="Auth.IAccessTokenProvider"/> holds (its <c>sub</c> claim).
/// </summary>
public interface IAiChatFactory
{
    /// <summary>Creates and loads a <see cref="MessageStore"/> for a user; dispose it when done.</summary>
    /// <param name="userId">The user; the signed-in user when null.</param>
    /// <param name="cancellationToken">Cancels the initial load.</param>
    /// <exception cref="InvalidOperationException">No user id was given and no user is signed in.</exception>
    Task<MessageStore> CreateMessageStoreAsync(Guid? userId = null, CancellationToken cancellationToken = default);

    /// <summary>Creates <see cref="RealtimeAIChats"/> for a user, optionally for one session; dispose it when done.</summary>
    /// <param name="userId">The user; the signed-in user when null.</param>
    /// <param name="sessionId">Only this session's messages, when given.</param>
    /// <param name="callbacks">Handlers for apps that do not use Rx.</param>
    /// <param name="cancellationToken">Cancels the subscription set-up.</param>
    /// <exception cref="InvalidOperationException">No user id was given and no user is signed in.</exception>
    Task<RealtimeAIChats> CreateRealtimeAIChatsAsync(Guid? userId = null, Guid? sessionId = null, RealtimeAIChatsCallbacks? callbacks = null, CancellationToken cancellationToken = default);
}
