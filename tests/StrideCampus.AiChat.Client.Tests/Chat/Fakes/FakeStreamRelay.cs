using System.Reactive.Subjects;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>A relay whose deltas the test emits, recording what the store publishes.</summary>
internal sealed class FakeStreamRelay : IStreamRelay
{
    private readonly Subject<StreamDelta> _deltas = new();

    public IObservable<StreamDelta> Deltas => _deltas;

    public Subject<string> QuotaSignals { get; } = new();

    public IObservable<string> QuotaExceeded => QuotaSignals;

    public List<StreamDelta> Published { get; } = [];

    public bool Disposed { get; private set; }

    public void Emit(StreamDelta delta) => _deltas.OnNext(delta);

    public void Publish(StreamDelta delta)
    {
        lock (Published)
        {
            Published.Add(delta);
        }

        _deltas.OnNext(delta); // it comes back, as on a channel with broadcast self
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        _deltas.OnCompleted();
        return ValueTask.CompletedTask;
    }
}
