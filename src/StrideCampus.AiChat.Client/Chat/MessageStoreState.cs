namespace StrideCampus.AiChat.Client.Chat;

/// <summary>An immutable snapshot of a <see cref="MessageStore"/> (the seed's hook state).</summary>
/// <param name="Sessions">The user's sessions, newest first.</param>
/// <param name="ActiveSession">The active session, if any.</param>
/// <param name="IsLoading">Whether a load or refetch is running.</param>
/// <param name="IsInitialized">Whether the first load has completed.</param>
/// <param name="IsRealtimeConnected">Whether changes from other clients arrive live.</param>
/// <param name="Stats">Counters.</param>
/// <param name="Version">Increases with every change; a newer snapshot has a larger version.</param>
public sealed record MessageStoreState(
    IReadOnlyList<ChatSessionState> Sessions,
    ChatSessionState? ActiveSession,
    bool IsLoading,
    bool IsInitialized,
    bool IsRealtimeConnected,
    MessageStoreStats Stats,
    long Version)
{
    /// <summary>
    /// Whether the user has sessions older than those held (the store opens with the newest page of sessions;
    /// <see cref="MessageStore.LoadMoreSessionsAsync"/> loads the next).
    /// </summary>
    public bool HasMoreSessions { get; init; }
}
