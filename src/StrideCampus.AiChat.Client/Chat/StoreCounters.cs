namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Counters the store keeps beside the core's (guarded by the store's lock).</summary>
internal sealed class StoreCounters
{
    public long Reconciliations { get; set; }

    public long DatabaseQueries { get; set; }

    public long CacheHits { get; set; }

    public long CacheMisses { get; set; }

    public DateTimeOffset? LastSyncedAt { get; set; }
}
