using System.Reactive.Concurrency;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Options of <see cref="RealtimeAIChats"/>.</summary>
public sealed class RealtimeAIChatsOptions
{
    /// <summary>Only messages of this session (sessions are always all of the user's). Default: all messages of the user.</summary>
    public Guid? SessionId { get; set; }

    /// <summary>Handlers called for each event, for apps that do not use Rx.</summary>
    public RealtimeAIChatsCallbacks? Callbacks { get; set; }

    /// <summary>
    /// The scheduler the streams and callbacks notify on (a UI dispatcher, for example), each stream in the order of
    /// the changes. Default: the task pool (as <see cref="MessageStoreOptions.Scheduler"/>), so app code never runs on
    /// the socket's receive loop; <see cref="ImmediateScheduler.Instance"/> notifies on the thread that delivers the
    /// change (the receive loop), for apps that hand off at once and want no extra hop.
    /// </summary>
    public IScheduler? Scheduler { get; set; }

    /// <summary>
    /// How long a deactivation of the active session waits for another session's activation before
    /// <see cref="RealtimeAIChats.ActiveSessionChanged"/> reports null (a switch is two row updates). Default 150 ms.
    /// </summary>
    public TimeSpan ActiveSessionSettleDelay { get; set; } = TimeSpan.FromMilliseconds(150);
}
