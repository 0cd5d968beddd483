using System.Threading.Channels;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// The changes decoded from replication and not dispatched yet, at most <see cref="Capacity"/> of them. When the
/// dispatcher falls that far behind, further changes are shed instead of queued, and a gap mark follows the queued
/// ones: on it every postgres_changes channel is told "Subscribed to PostgreSQL" again, as after a change-capture
/// restart, so its client resyncs (Supabase Realtime likewise loses changes its subscribers cannot take and never
/// replays them). One writer (the replication loop), one reader (the dispatcher).
/// </summary>
internal sealed class ChangeQueue
{
    private readonly Channel<RowChange?> _items = Channel.CreateUnbounded<RowChange?>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _count;
    private int _peak;
    private long _shed;
    private volatile int _capacity;
    private bool _inGap;

    public ChangeQueue(int capacity) => Capacity = capacity;

    /// <summary>Changes that may wait for dispatch at once (at least 1).</summary>
    public int Capacity { get => _capacity; set => _capacity = Math.Max(1, value); }

    /// <summary>Changes waiting now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The most changes that ever waited at once.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Changes shed so far because the queue was full.</summary>
    public long Shed => Interlocked.Read(ref _shed);

    /// <summary>Queues a change, or sheds it when the queue is full (the first shed change of a gap queues the gap mark).</summary>
    /// <returns>False when the change was shed.</returns>
    public bool TryWrite(RowChange change)
    {
        if (Volatile.Read(ref _count) >= _capacity)
        {
            Interlocked.Increment(ref _shed);
            if (!_inGap)
            {
                _inGap = true;
                _items.Writer.TryWrite(null);
            }
            return false;
        }
        _inGap = false;
        var count = Interlocked.Increment(ref _count);
        if (count > Volatile.Read(ref _peak))
        {
            Volatile.Write(ref _peak, count);
        }
        _items.Writer.TryWrite(change);
        return true;
    }

    /// <summary>No more changes: the reader ends once it has read the queued ones.</summary>
    public void Complete() => _items.Writer.TryComplete();

    /// <summary>The queued changes in order; null marks a gap (changes shed there).</summary>
    public async IAsyncEnumerable<RowChange?> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in _items.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item is not null)
            {
                Interlocked.Decrement(ref _count);
            }
            yield return item;
        }
    }
}
