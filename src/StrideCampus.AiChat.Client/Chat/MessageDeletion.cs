namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A message was deleted: <see cref="ChatChange.Kind"/> is <see cref="ChatChangeKind.MessageDeleted"/>, and
/// <see cref="ChatChange.Id"/> is the message's id.
/// </summary>
public sealed record MessageDeletion : ChatChange
{
    /// <summary>The delete of a message, for example to emit from a mocked store in an app's tests.</summary>
    /// <param name="id">The message's id.</param>
    public MessageDeletion(Guid id)
        : base(ChatChangeKind.MessageDeleted, id)
    {
    }

    internal override bool IsDeletion => true;
}
