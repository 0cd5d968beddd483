using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>The deliver-after-the-lock queue: one thread delivers at a time, in the order items were decided.</summary>
public sealed class SerialDeliveryTests
{
    [Fact]
    public void An_item_decided_while_delivering_goes_behind_the_one_being_delivered()
    {
        var delivery = new SerialDelivery<int>();
        var seen = new List<int>();
        void Deliver(List<int> into, int item)
        {
            into.Add(item);
            if (item == 1)
            {
                // An observer reacting to 1 decides 2: it must not be delivered inside the delivery of 1.
                delivery.DeliverOrQueue(into, 2, Deliver);
                Assert.Equal([1], into);
            }
        }

        delivery.DeliverOrQueue(seen, 1, Deliver);
        delivery.DeliverOrQueue(seen, 3, Deliver);

        Assert.Equal([1, 2, 3], seen);
        Assert.True(delivery.IsEmpty);
    }

    [Fact]
    public void Items_queued_before_are_delivered_before_a_direct_one()
    {
        var delivery = new SerialDelivery<int>();
        var seen = new List<int>();
        delivery.Enqueue(1); // decided under a lock, not delivered yet
        delivery.DeliverOrQueue(seen, 2, static (into, item) => into.Add(item));
        Assert.Equal([1, 2], seen);
    }

    [Fact]
    public async Task Concurrent_producers_never_run_the_observer_concurrently_and_lose_nothing()
    {
        var delivery = new SerialDelivery<int>();
        var inside = 0;
        var overlaps = 0;
        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();
        void Deliver(object _, int item)
        {
            if (Interlocked.Increment(ref inside) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            seen.Add(item);
            Interlocked.Decrement(ref inside);
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                delivery.DeliverOrQueue(new object(), (p * 5_000) + i, Deliver);
            }
        })));

        Assert.Equal(0, overlaps);
        Assert.Equal(20_000, seen.Distinct().Count());
    }
}
