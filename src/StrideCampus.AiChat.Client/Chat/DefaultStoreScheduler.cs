using System.Reactive.Concurrency;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Where a <see cref="MessageStore"/> delivers state and changes when the app chose no scheduler: the task
/// pool. In browser WebAssembly there is one thread, so the task pool's long-running mode (a thread of its
/// own per <c>ObserveOn</c> subscription that blocks waiting for items) is turned off there: the blocking wait
/// throws on that runtime and the subscription would stop after its first item.
/// </summary>
internal static class DefaultStoreScheduler
{
    public static IScheduler Instance { get; } = Create(OperatingSystem.IsBrowser());

    public static IScheduler Create(bool singleThreaded) => singleThreaded
        ? TaskPoolScheduler.Default.DisableOptimizations(typeof(ISchedulerLongRunning))
        : TaskPoolScheduler.Default;
}
