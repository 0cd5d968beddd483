namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Counters of a <see cref="MessageStore"/> (the seed's <c>stats</c>).</summary>
/// <param name="SessionCount">Sessions held.</param>
/// <param name="MessageCount">Messages in memory.</param>
/// <param name="CachedSessionCount">Sessions whose messages are in memory.</param>
/// <param name="PendingWriteCount">Own writes awaiting the server.</param>
/// <param name="RealtimeEventsApplied">Realtime changes that changed the store.</param>
/// <param name="RealtimeEventsIgnored">Realtime changes ignored: echoes of own writes, stale or duplicate events, deletes of rows not held.</param>
/// <param name="Reconciliations">Refetches after a reconnect.</param>
/// <param name="DatabaseQueries">Read queries sent to the database.</param>
/// <param name="CacheHits">Message reads served from memory.</param>
/// <param name="CacheMisses">Message reads that had to query the database.</param>
/// <param name="CacheEvictions">Sessions whose messages were dropped (bound or expiry).</param>
/// <param name="LastSyncedAt">When the store last matched a full server snapshot.</param>
public sealed record MessageStoreStats(
    int SessionCount,
    int MessageCount,
    int CachedSessionCount,
    int PendingWriteCount,
    long RealtimeEventsApplied,
    long RealtimeEventsIgnored,
    long Reconciliations,
    long DatabaseQueries,
    long CacheHits,
    long CacheMisses,
    long CacheEvictions,
    DateTimeOffset? LastSyncedAt);
