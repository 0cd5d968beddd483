using System.Collections.Concurrent;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// What a component decided under its lock, delivered after it: items are queued (under the lock, or anywhere) and
/// delivered one thread at a time in the order they were queued. A thread that finds another delivering leaves its
/// items to that one, so observers never run under the lock, never run concurrently, and see the order of the
/// decisions. An observer that throws stops only the delivery it was in; the next one carries on.
/// </summary>
internal sealed class SerialDelivery<T>
{
    private readonly ConcurrentQueue<T> _queue = new();
    private int _delivering;

    public bool IsEmpty => _queue.IsEmpty;

    public void Enqueue(T item) => _queue.Enqueue(item);

    /// <summary>
    /// Delivers <paramref name="item"/> at once when nothing is queued and nobody is delivering (the common case: no
    /// queue round trip), else queues it behind the others and delivers what is queued as <see cref="DeliverAll"/> does.
    /// For items decided outside any lock; items decided under a lock are queued there and delivered after it.
    /// </summary>
    public void DeliverOrQueue<TOwner>(TOwner owner, T item, Action<TOwner, T> deliver)
    {
        if (_queue.IsEmpty && Interlocked.CompareExchange(ref _delivering, 1, 0) == 0)
        {
            if (_queue.IsEmpty)
            {
                try
                {
                    deliver(owner, item);
                }
                finally
                {
                    Volatile.Write(ref _delivering, 0);
                }

                DeliverAll(owner, deliver); // what others queued meanwhile
                return;
            }

            Volatile.Write(ref _delivering, 0); // queued meanwhile: this item goes behind it
        }

        _queue.Enqueue(item);
        DeliverAll(owner, deliver);
    }

    /// <summary>Delivers what is queued unless another thread (or an outer frame of this one) is delivering it.</summary>
    /// <param name="owner">Passed to <paramref name="deliver"/>, so a static lambda allocates nothing.</param>
    /// <param name="deliver">Delivers one item.</param>
    public void DeliverAll<TOwner>(TOwner owner, Action<TOwner, T> deliver)
    {
        while (!_queue.IsEmpty && Interlocked.CompareExchange(ref _delivering, 1, 0) == 0)
        {
            try
            {
                while (_queue.TryDequeue(out var next))
                {
                    deliver(owner, next);
                }
            }
            finally
            {
                Volatile.Write(ref _delivering, 0);
            }
        }
    }
}
