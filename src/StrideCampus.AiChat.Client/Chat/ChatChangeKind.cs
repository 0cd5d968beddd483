namespace StrideCampus.AiChat.Client.Chat;

/// <summary>What happened to a chat row.</summary>
public enum ChatChangeKind
{
    /// <summary>A session was inserted.</summary>
    SessionCreated,

    /// <summary>A session was updated (title, active flag, ...).</summary>
    SessionUpdated,

    /// <summary>A session was deleted.</summary>
    SessionDeleted,

    /// <summary>A message was inserted.</summary>
    MessageCreated,

    /// <summary>A message was updated (for example a streamed reply grew).</summary>
    MessageUpdated,

    /// <summary>A message was deleted.</summary>
    MessageDeleted,
}
