namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A store action the server refused or that could not reach it. The optimistic change was rolled back
/// before this was thrown; <see cref="Exception.InnerException"/> is the cause (a
/// <c>PostgrestException</c> for a refusal by the server).
/// </summary>
public sealed class ChatOperationException : AiChatException
{
    /// <summary>Creates an exception.</summary>
    public ChatOperationException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ChatOperationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ChatOperationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a failed action.</summary>
    /// <param name="operation">The action.</param>
    /// <param name="entityId">The session or message concerned.</param>
    /// <param name="innerException">The cause.</param>
    public ChatOperationException(ChatOperation operation, Guid? entityId, Exception? innerException)
        : base(FormatMessage(operation, entityId, innerException), (innerException as AiChatException)?.Status ?? 0, (innerException as AiChatException)?.ErrorCode, innerException)
    {
        Operation = operation;
        EntityId = entityId;
    }

    /// <summary>The action that failed.</summary>
    public ChatOperation Operation { get; }

    /// <summary>The session or message concerned, if any.</summary>
    public Guid? EntityId { get; }

    /// <summary>The server's refusal (code, message, details, hint, HTTP status), when the server refused.</summary>
    public Rest.PostgrestException? ServerError => InnerException as Rest.PostgrestException;

    private static string FormatMessage(ChatOperation operation, Guid? entityId, Exception? inner)
    {
        var what = entityId is { } id ? $"{operation} ({id})" : operation.ToString();
        return inner is null ? $"{what} failed; the change was rolled back." : $"{what} failed; the change was rolled back: {inner.Message}";
    }
}
