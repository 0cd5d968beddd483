namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The store action that failed.</summary>
public enum ChatOperation
{
    /// <summary>Loading sessions and messages.</summary>
    Load,

    /// <summary><see cref="MessageStore.CreateSessionAsync"/>.</summary>
    CreateSession,

    /// <summary><see cref="MessageStore.RenameSessionAsync"/>.</summary>
    UpdateSession,

    /// <summary><see cref="MessageStore.SwitchToSessionAsync"/>.</summary>
    SwitchSession,

    /// <summary><see cref="MessageStore.DeleteSessionAsync"/>.</summary>
    DeleteSession,

    /// <summary><see cref="MessageStore.ClearAllSessionsAsync"/>.</summary>
    ClearAllSessions,

    /// <summary><see cref="MessageStore.AddMessageAsync"/>.</summary>
    AddMessage,

    /// <summary><see cref="MessageStore.UpdateMessageAsync"/>.</summary>
    UpdateMessage,

    /// <summary><see cref="MessageStore.DeleteMessageAsync"/>.</summary>
    DeleteMessage,

    /// <summary>A write of a streamed assistant reply.</summary>
    StreamReply,

    /// <summary><see cref="MessageStore.RequestAssistantReplyAsync"/>.</summary>
    RequestReply,

    /// <summary><see cref="MessageStore.StopAssistantReplyAsync"/>.</summary>
    StopReply,

    /// <summary><see cref="MessageStore.RegenerateAssistantReplyAsync"/>.</summary>
    RegenerateReply,
}
