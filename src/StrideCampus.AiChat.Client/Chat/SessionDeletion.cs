namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A session was deleted (its messages with it): <see cref="ChatChange.Kind"/> is
/// <see cref="ChatChangeKind.SessionDeleted"/>, and <see cref="ChatChange.Id"/> is the session's id.
/// </summary>
public sealed record SessionDeletion : ChatChange
{
    /// <summary>The delete of a session, for example to emit from a mocked store in an app's tests.</summary>
    /// <param name="id">The session's id.</param>
    public SessionDeletion(Guid id)
        : base(ChatChangeKind.SessionDeleted, id)
    {
    }

    internal override bool IsDeletion => true;
}
