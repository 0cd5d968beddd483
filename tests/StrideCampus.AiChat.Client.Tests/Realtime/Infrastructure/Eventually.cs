namespace StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

/// <summary>Polling helpers for asynchronous assertions.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for: " + what);
            }

            await Task.Delay(10);
        }
    }
}

/// <summary>Records what an observable emits.</summary>
public sealed class Recorder<T> : IObserver<T>
{
    private readonly object _gate = new();
    private readonly List<T> _items = [];

    public bool Completed { get; private set; }

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_gate)
            {
                return [.. _items];
            }
        }
    }

    public void OnCompleted() => Completed = true;

    public void OnError(Exception error) => throw new InvalidOperationException("OnError must never be called", error);

    public void OnNext(T value)
    {
        lock (_gate)
        {
            _items.Add(value);
        }
    }

    public Task WaitForAsync(Func<IReadOnlyList<T>, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => condition(Items), what, timeout);

    public Task WaitCountAsync(int count, TimeSpan? timeout = null) =>
        WaitForAsync(i => i.Count >= count, $"{count} items", timeout);
}

public static class RecorderExtensions
{
    public static Recorder<T> Record<T>(this IObservable<T> source, out IDisposable subscription)
    {
        var recorder = new Recorder<T>();
        subscription = source.Subscribe(recorder);
        return recorder;
    }

    public static Recorder<T> Record<T>(this IObservable<T> source)
    {
        var recorder = new Recorder<T>();
        source.Subscribe(recorder);
        return recorder;
    }
}
