namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>Records what an observable emits, for asynchronous assertions.</summary>
public sealed class ObservableRecorder<T> : IObserver<T>
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

    public async Task<T> WaitForAsync(Func<T, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var found = Items.Where(match).ToList();
            if (found.Count > 0)
            {
                return found[0];
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for: " + what);
            }

            await Task.Delay(20);
        }
    }
}

public static class ObservableRecorderExtensions
{
    public static ObservableRecorder<T> Record<T>(this IObservable<T> source)
    {
        var recorder = new ObservableRecorder<T>();
        source.Subscribe(recorder);
        return recorder;
    }
}
