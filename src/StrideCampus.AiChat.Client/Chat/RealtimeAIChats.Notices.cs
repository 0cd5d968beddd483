using System.Reactive.Concurrency;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// What the streams carry, decided under the lock and delivered after it: one thread at a time, in the order it was
/// queued, so no app callback or observer runs while the lock is held and the streams keep the order of the changes.
/// </summary>
public partial class RealtimeAIChats
{
    private readonly SerialDelivery<Notice> _notices = new();

    private void Enqueue(ChatChange change) => _notices.Enqueue(new Notice(NoticeKind.Change, change, null, null));

    private void Enqueue(ChatConnectionStatus status) => _notices.Enqueue(new Notice(NoticeKind.Status, null, status, null));

    private void EnqueueActive(Guid? id) => _notices.Enqueue(new Notice(NoticeKind.Active, null, null, id));

    /// <summary>Queues the report of "no active session" after the settle delay, or (<paramref name="schedule"/> false) its cancellation.</summary>
    private void EnqueueSettle(bool schedule) =>
        _notices.Enqueue(new Notice(schedule ? NoticeKind.ScheduleNoActive : NoticeKind.CancelNoActive, null, null, null));

    private void EnqueueCompletion() => _notices.Enqueue(new Notice(NoticeKind.Completion, null, null, null));

    /// <summary>Delivers the queued notices unless another thread (or an outer frame of this one) is delivering them.</summary>
    private void DeliverNotices() => _notices.DeliverAll(this, static (chats, next) => chats.Deliver(next));

    private void Deliver(Notice notice)
    {
        switch (notice.Kind)
        {
            case NoticeKind.Change:
                _changes.OnNext(notice.Change!);
                break;
            case NoticeKind.Status:
                _status.OnNext(notice.Status!);
                break;
            case NoticeKind.Active:
                _active.OnNext(notice.ActiveId);
                break;
            case NoticeKind.ScheduleNoActive:
                _pendingNull.Disposable = _timer.Schedule(_options.ActiveSessionSettleDelay, ReportNoActiveSession);
                break;
            case NoticeKind.CancelNoActive:
                _pendingNull.Disposable = null;
                break;
            default:
                _changes.OnCompleted();
                _active.OnCompleted();
                _status.OnCompleted();
                break;
        }
    }

    private enum NoticeKind
    {
        Change,
        Status,
        Active,
        ScheduleNoActive,
        CancelNoActive,
        Completion,
    }

    private readonly record struct Notice(NoticeKind Kind, ChatChange? Change, ChatConnectionStatus? Status, Guid? ActiveId);
}
