using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A hot observable for long-lived streams: never calls OnError, isolates observers (an exception thrown by one is
/// logged, never propagated into the socket loop), optionally replays the latest value to new subscribers, and is
/// safe to subscribe to and unsubscribe from on any thread.
/// </summary>
internal sealed class SafeSubject<T> : IObservable<T>
{
    private readonly object _gate = new();
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly bool _replayLatest;
    private IObserver<T>[] _observers = [];
    private bool _completed;
    private bool _hasValue;
    private T _latest = default!;

    public SafeSubject(ILogger logger, string name, bool replayLatest = false)
    {
        _logger = logger;
        _name = name;
        _replayLatest = replayLatest;
    }

    public SafeSubject(ILogger logger, string name, T initial)
        : this(logger, name, replayLatest: true)
    {
        _latest = initial;
        _hasValue = true;
    }

    public bool HasObservers => Volatile.Read(ref _observers).Length > 0;

    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        bool completed;
        bool replay;
        T latest;
        lock (_gate)
        {
            completed = _completed;
            replay = _replayLatest && _hasValue;
            latest = _latest;
            if (!completed)
            {
                _observers = [.. _observers, observer];
            }
        }

        if (replay)
        {
            Deliver(observer, latest);
        }

        if (completed)
        {
            Complete(observer);
            return Unsubscriber.Empty;
        }

        return new Unsubscriber(this, observer);
    }

    public void OnNext(T value)
    {
        IObserver<T>[] observers;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            if (_replayLatest)
            {
                _latest = value;
                _hasValue = true;
            }

            observers = _observers;
        }

        foreach (var observer in observers)
        {
            Deliver(observer, value);
        }
    }

    public void OnCompleted()
    {
        IObserver<T>[] observers;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            observers = _observers;
            _observers = [];
        }

        foreach (var observer in observers)
        {
            Complete(observer);
        }
    }

    private void Deliver(IObserver<T> observer, T value)
    {
        try
        {
            observer.OnNext(value);
        }
#pragma warning disable CA1031 // An observer must never break the socket loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RealtimeLog.ObserverFailed(_logger, ex, _name);
        }
    }

    private void Complete(IObserver<T> observer)
    {
        try
        {
            observer.OnCompleted();
        }
#pragma warning disable CA1031 // An observer must never break disposal.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RealtimeLog.ObserverFailed(_logger, ex, _name);
        }
    }

    private void Remove(IObserver<T> observer)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_observers, observer);
            if (index < 0)
            {
                return;
            }

            var copy = new IObserver<T>[_observers.Length - 1];
            Array.Copy(_observers, 0, copy, 0, index);
            Array.Copy(_observers, index + 1, copy, index, _observers.Length - index - 1);
            _observers = copy;
        }
    }

    private sealed class Unsubscriber(SafeSubject<T>? owner, IObserver<T>? observer) : IDisposable
    {
        public static readonly Unsubscriber Empty = new(null, null);

        private SafeSubject<T>? _owner = owner;

        public void Dispose()
        {
            var owner = Interlocked.Exchange(ref _owner, null);
            if (owner is not null && observer is not null)
            {
                owner.Remove(observer);
            }
        }
    }
}
