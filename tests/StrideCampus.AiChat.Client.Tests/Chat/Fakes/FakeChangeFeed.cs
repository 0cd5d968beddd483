using System.Reactive.Subjects;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>A change feed driven by the test.</summary>
internal sealed class FakeChangeFeed : IChatChangeFeed
{
    private readonly Subject<ChatChange> _changes = new();
    private readonly BehaviorSubject<ChatConnectionStatus> _status = new(new(ChatConnectionState.Disconnected, "new"));
    private readonly Subject<long> _resubscribed = new();
    private long _resubscriptions;

    public IObservable<ChatChange> Changes => _changes;

    public IObservable<ChatConnectionStatus> Status => _status;

    public IObservable<long> Resubscribed => _resubscribed;

    public bool Disposed { get; private set; }

    public int Starts { get; private set; }

    public Exception? StartError { get; set; }

    public bool HasChangeObservers => _changes.HasObservers;

    /// <summary>Runs inside <see cref="StartAsync"/>, before changes flow (the window between join reply and "Subscribed to PostgreSQL").</summary>
    public Action? BeforeFlowing { get; set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Starts++;
        BeforeFlowing?.Invoke();
        if (StartError is not null)
        {
            return Task.FromException(StartError);
        }

        _status.OnNext(new(ChatConnectionState.Connected, "subscribed"));
        return Task.CompletedTask;
    }

    public void Emit(ChatChange change) => _changes.OnNext(change);

    public void SetStatus(ChatConnectionState state, string reason = "test") => _status.OnNext(new(state, reason));

    /// <summary>Simulates a dropped connection that came back.</summary>
    public void Reconnect()
    {
        SetStatus(ChatConnectionState.Connecting, "socket closed");
        SetStatus(ChatConnectionState.Connected, "rejoined");
        _resubscribed.OnNext(++_resubscriptions);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        _changes.OnCompleted();
        return ValueTask.CompletedTask;
    }
}
