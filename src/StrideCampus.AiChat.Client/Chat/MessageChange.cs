namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A message was created or updated (a streamed reply grows by updates): <see cref="ChatChange.Kind"/> is
/// <see cref="ChatChangeKind.MessageCreated"/> or <see cref="ChatChangeKind.MessageUpdated"/>.
/// </summary>
public sealed record MessageChange : ChatChange
{
    /// <summary>A message change, for example to emit from a mocked store in an app's tests.</summary>
    /// <param name="kind"><see cref="ChatChangeKind.MessageCreated"/> or <see cref="ChatChangeKind.MessageUpdated"/>.</param>
    /// <param name="message">The message row after the change.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a message create or update.</exception>
    public MessageChange(ChatChangeKind kind, ChatMessage message)
        : base(
            kind is ChatChangeKind.MessageCreated or ChatChangeKind.MessageUpdated ? kind : throw new ArgumentOutOfRangeException(nameof(kind), kind, "A message create or update."),
            (message ?? throw new ArgumentNullException(nameof(message))).Id)
    {
        Message = message;
    }

    /// <summary>The message row after the change.</summary>
    public ChatMessage Message { get; }

    internal override bool IsDeletion => false;
}
