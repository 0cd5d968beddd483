using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>Forwards every call to an inner data source; tests override the calls they change.</summary>
internal class DelegatingChatDataSource(IChatDataSource inner) : IChatDataSource
{
    public virtual Task<IReadOnlyList<ChatSessionRow>> LoadSessionsWithMessagesAsync(CancellationToken cancellationToken) => inner.LoadSessionsWithMessagesAsync(cancellationToken);

    public virtual Task<IReadOnlyList<ChatSession>> LoadSessionsAsync(CancellationToken cancellationToken) => inner.LoadSessionsAsync(cancellationToken);

    public virtual Task<IReadOnlyList<Guid>> LoadMessageIdsAsync(Guid? sessionId, CancellationToken cancellationToken) => inner.LoadMessageIdsAsync(sessionId, cancellationToken);

    public virtual Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(Guid sessionId, CancellationToken cancellationToken) => inner.LoadMessagesAsync(sessionId, cancellationToken);

    public virtual Task<long> GetSyncPointAsync(CancellationToken cancellationToken) => inner.GetSyncPointAsync(cancellationToken);

    public virtual Task<IReadOnlyList<ChatSession>> LoadSessionPageAsync(ChatPageKey? before, int limit, CancellationToken cancellationToken) => inner.LoadSessionPageAsync(before, limit, cancellationToken);

    public virtual Task<ChatSession?> LoadActiveSessionAsync(CancellationToken cancellationToken) => inner.LoadActiveSessionAsync(cancellationToken);

    public virtual Task<IReadOnlyList<ChatMessage>> LoadMessagePageAsync(Guid sessionId, ChatPageKey? before, int limit, CancellationToken cancellationToken) => inner.LoadMessagePageAsync(sessionId, before, limit, cancellationToken);

    public virtual Task<ChatChangesSince> LoadChangesSinceAsync(long syncPoint, CancellationToken cancellationToken) => inner.LoadChangesSinceAsync(syncPoint, cancellationToken);

    public virtual Task<ChatSession> UpsertSessionAsync(ChatSession session, CancellationToken cancellationToken) => inner.UpsertSessionAsync(session, cancellationToken);

    public virtual Task<ChatSession?> UpdateSessionAsync(Guid sessionId, JsonObject patch, CancellationToken cancellationToken) => inner.UpdateSessionAsync(sessionId, patch, cancellationToken);

    public virtual Task DeleteSessionAsync(Guid sessionId, CancellationToken cancellationToken) => inner.DeleteSessionAsync(sessionId, cancellationToken);

    public virtual Task DeleteAllSessionsAsync(Guid userId, CancellationToken cancellationToken) => inner.DeleteAllSessionsAsync(userId, cancellationToken);

    public virtual Task<ChatMessage> UpsertMessageAsync(ChatMessage message, CancellationToken cancellationToken) => inner.UpsertMessageAsync(message, cancellationToken);

    public virtual Task<ChatMessage?> UpdateMessageAsync(Guid messageId, JsonObject patch, CancellationToken cancellationToken) => inner.UpdateMessageAsync(messageId, patch, cancellationToken);

    public virtual Task DeleteMessageAsync(Guid messageId, CancellationToken cancellationToken) => inner.DeleteMessageAsync(messageId, cancellationToken);

    public virtual Task<IReadOnlyList<ChatSession>> SetActiveSessionAsync(Guid? sessionId, CancellationToken cancellationToken) => inner.SetActiveSessionAsync(sessionId, cancellationToken);
}
