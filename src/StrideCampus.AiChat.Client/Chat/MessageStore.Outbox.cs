using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The store's lock and its outbox: what a lock scope decides to publish is queued under the lock and delivered
/// when the outermost scope is left, by one thread at a time, in the order it was queued. So no observer, scheduler
/// or subject runs while the lock is held, and notification order is the order of the state changes.
/// </summary>
public partial class MessageStore
{
    private readonly SerialDelivery<Publication> _outbox = new();

    /// <summary>How deep the current owner of <see cref="_gate"/> holds it (changed only while holding it).</summary>
    private int _gateDepth;

    /// <summary>Enters the lock; leaving the outermost scope delivers what was queued meanwhile.</summary>
    private GateScope EnterGate()
    {
        var scope = new GateScope(this, _gate.EnterScope());
        _gateDepth++;
        return scope;
    }

    private void Enqueue(ChatChange change) => _outbox.Enqueue(new Publication(PublicationKind.Change, change, null, default));

    private void Enqueue(MessageStoreState state) => _outbox.Enqueue(new Publication(PublicationKind.State, null, state, default));

    private void EnqueueRefresh(TimeSpan delay) => _outbox.Enqueue(new Publication(PublicationKind.ScheduleRefresh, null, null, delay));

    private void EnqueueCompletion() => _outbox.Enqueue(new Publication(PublicationKind.Completion, null, null, default));

    /// <summary>Delivers the outbox unless another thread (or an outer frame of this one) is delivering it.</summary>
    private void DeliverOutbox() => _outbox.DeliverAll(this, static (store, next) => store.Deliver(next));

    private void Deliver(Publication publication)
    {
        switch (publication.Kind)
        {
            case PublicationKind.Change:
                _changes.OnNext(publication.Change!);
                break;
            case PublicationKind.State:
                _state.OnNext(publication.State!);
                break;
            case PublicationKind.ScheduleRefresh:
                _scheduler.Schedule(this, publication.Delay, static (_, store) =>
                {
                    store.RefreshScheduled();
                    return Disposable.Empty;
                });
                break;
            default:
                _state.OnCompleted();
                _changes.OnCompleted();
                break;
        }
    }

    private enum PublicationKind
    {
        Change,
        State,
        ScheduleRefresh,
        Completion,
    }

    private readonly record struct Publication(PublicationKind Kind, ChatChange? Change, MessageStoreState? State, TimeSpan Delay);

    /// <summary>A held <see cref="_gate"/>; disposing the outermost one releases it, then delivers the outbox.</summary>
    private ref struct GateScope
    {
        private readonly MessageStore _store;
        private Lock.Scope _inner;

        public GateScope(MessageStore store, Lock.Scope inner)
        {
            _store = store;
            _inner = inner;
        }

        public void Dispose()
        {
            var outermost = --_store._gateDepth == 0;
            _inner.Dispose();
            if (outermost)
            {
                _store.DeliverOutbox();
            }
        }
    }
}
