namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The message cache bound: the periodic sweep and the eviction after a change.</summary>
public partial class MessageStore
{
    // ================================================================ cache

    internal void SweepCache()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        using (EnterGate())
        {
            EvictLocked(protect: null);
            PublishLocked();
        }
    }

    private void EvictLocked(Guid? protect)
    {
        var evicted = ApplyLocked(new StoreEvent.CacheTrimmed(Now, protect)).Evicted;
        if (evicted > 0)
        {
            ChatLog.CacheEvicted(_logger, evicted);
        }
    }
}
