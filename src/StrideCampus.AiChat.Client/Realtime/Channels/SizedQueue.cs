namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A FIFO queue that knows how many bytes its items hold, so a buffer is bounded in size as well as in count. Not
/// thread-safe: its owner serialises calls.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class SizedQueue<T>(Func<T, int> sizeOf)
{
    private readonly Queue<T> _items = new();

    public int Count => _items.Count;

    /// <summary>The bytes the queued items hold.</summary>
    public long Bytes { get; private set; }

    /// <summary>Whether <paramref name="item"/> fits within <paramref name="maxCount"/> items and <paramref name="maxBytes"/> bytes (one item always fits an empty queue).</summary>
    public bool HasRoomFor(T item, int maxCount, long maxBytes) =>
        _items.Count == 0 || (_items.Count < maxCount && Bytes + sizeOf(item) <= maxBytes);

    public void Enqueue(T item)
    {
        _items.Enqueue(item);
        Bytes += sizeOf(item);
    }

    public bool TryDequeue(out T item)
    {
        if (!_items.TryDequeue(out item!))
        {
            return false;
        }

        Bytes -= sizeOf(item);
        return true;
    }
}
