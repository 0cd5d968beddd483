namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A session was created or updated: <see cref="ChatChange.Kind"/> is <see cref="ChatChangeKind.SessionCreated"/>
/// or <see cref="ChatChangeKind.SessionUpdated"/>.
/// </summary>
public sealed record SessionChange : ChatChange
{
    /// <summary>A session change, for example to emit from a mocked store in an app's tests.</summary>
    /// <param name="kind"><see cref="ChatChangeKind.SessionCreated"/> or <see cref="ChatChangeKind.SessionUpdated"/>.</param>
    /// <param name="session">The session row after the change.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a session create or update.</exception>
    public SessionChange(ChatChangeKind kind, ChatSession session)
        : base(
            kind is ChatChangeKind.SessionCreated or ChatChangeKind.SessionUpdated ? kind : throw new ArgumentOutOfRangeException(nameof(kind), kind, "A session create or update."),
            (session ?? throw new ArgumentNullException(nameof(session))).Id)
    {
        Session = session;
    }

    /// <summary>The session row after the change.</summary>
    public ChatSession Session { get; }

    internal override bool IsDeletion => false;
}
