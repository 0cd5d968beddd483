namespace StrideCampus.AiChat.Testing;

/// <summary>Records what an observable emits, for assertions that wait.</summary>
public sealed class Recorder<T> : IObserver<T>
{
    private readonly Lock _gate = new();
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

    /// <summary>Forgets the items recorded so far.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _items.Clear();
        }
    }

    public void OnError(Exception error) => throw new InvalidOperationException("OnError must never be called", error);

    public void OnNext(T value)
    {
        lock (_gate)
        {
            _items.Add(value);
        }
    }

    /// <summary>Waits until the items so far satisfy <paramref name="condition"/>.</summary>
    public Task WaitForAsync(Func<IReadOnlyList<T>, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => condition(Items), what, timeout);

    /// <summary>Waits for the first item that matches and returns it.</summary>
    public async Task<T> FirstAsync(Func<T, bool> match, string what, TimeSpan? timeout = null)
    {
        var found = default(T);
        await Eventually.TrueAsync(
            () =>
            {
                foreach (var item in Items)
                {
                    if (match(item))
                    {
                        found = item;
                        return true;
                    }
                }

                return false;
            },
            what,
            timeout);
        return found!;
    }

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
