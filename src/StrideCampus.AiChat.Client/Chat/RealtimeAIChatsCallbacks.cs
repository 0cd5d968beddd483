namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Handlers for apps that do not use Rx, mirroring the seed hook's <c>on...</c> options. Each is called
/// on <see cref="RealtimeAIChatsOptions.Scheduler"/> (the task pool when none), in the order of the changes; an exception it
/// throws is logged and does not end the subscription.
/// </summary>
public sealed class RealtimeAIChatsCallbacks
{
    /// <summary>A session of the user was created.</summary>
    public Action<ChatSession>? OnSessionCreated { get; set; }

    /// <summary>A session was updated (title, active status, ...).</summary>
    public Action<ChatSession>? OnSessionUpdated { get; set; }

    /// <summary>A session was deleted (its id).</summary>
    public Action<Guid>? OnSessionDeleted { get; set; }

    /// <summary>A message was created (user or assistant).</summary>
    public Action<ChatMessage>? OnMessageCreated { get; set; }

    /// <summary>A message was updated (a streamed reply grows through these).</summary>
    public Action<ChatMessage>? OnMessageUpdated { get; set; }

    /// <summary>A message was deleted (its id).</summary>
    public Action<Guid>? OnMessageDeleted { get; set; }

    /// <summary>The active session changed (null: no session is active).</summary>
    public Action<Guid?>? OnActiveSessionChanged { get; set; }

    /// <summary>The connection status changed.</summary>
    public Action<ChatConnectionStatus>? OnConnectionStatusChanged { get; set; }
}
