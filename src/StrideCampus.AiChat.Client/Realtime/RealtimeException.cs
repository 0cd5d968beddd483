namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>A realtime operation failed: a join or push was refused or timed out, or the channel is unusable.</summary>
public sealed class RealtimeException : AiChatException
{
    /// <summary>Creates the exception.</summary>
    public RealtimeException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public RealtimeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public RealtimeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The subscribe status the failure corresponds to, when it comes from a join.</summary>
    public SubscribeStatus? SubscribeStatus { get; init; }

    /// <summary>
    /// Whether the server refused this user the channel for good (Realtime Authorization refused or revoked read
    /// access, or the project allows private channels only): retrying cannot help, so the channel stopped rejoining.
    /// </summary>
    public bool IsPermissionRefusal { get; init; }

    /// <summary>Whether Realtime Authorization refused the join (the server's reason starts with <c>Unauthorized:</c>).</summary>
    internal bool IsAuthorizationRefusal { get; init; }

    /// <summary>Whether the project allows only private channels and the join was public (the server's reason starts with <c>PrivateOnly:</c>).</summary>
    internal bool IsPrivateOnlyRefusal { get; init; }
}
