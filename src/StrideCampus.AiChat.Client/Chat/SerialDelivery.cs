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
