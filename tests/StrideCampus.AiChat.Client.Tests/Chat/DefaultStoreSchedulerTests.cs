using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat;

// Browser WebAssembly has one thread: Rx's ObserveOn on a long-running scheduler parks a thread of its own in a
// blocking wait, which throws there, and the store's StateChanges stopped after the first state (seen in Chromium,
// tests/StrideCampus.AiChat.BrowserTests). The single-threaded default offers no long-running mode.
public sealed class DefaultStoreSchedulerTests
{
    [Fact]
    public void The_single_threaded_default_offers_no_long_running_mode_so_ObserveOn_never_parks_a_thread()
    {
        Assert.Null(DefaultStoreScheduler.Create(singleThreaded: true).AsLongRunning());
        Assert.NotNull(DefaultStoreScheduler.Create(singleThreaded: false).AsLongRunning());
    }

    [Fact]
    public async Task The_single_threaded_default_delivers_every_item_in_order()
    {
        using var subject = new Subject<int>();
        var received = new List<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = subject.ObserveOn(DefaultStoreScheduler.Create(singleThreaded: true)).Subscribe(i =>
        {
            received.Add(i);
            if (i == 99)
            {
                done.SetResult();
            }
        });

        for (var i = 0; i < 100; i++)
        {
            subject.OnNext(i);
        }

        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 100), received);
    }
}
