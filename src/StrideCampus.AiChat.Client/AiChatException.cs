namespace StrideCampus.AiChat.Client;

/// <summary>
/// The root of every error the SDK reports about a service: catch it to handle any of them. A derived type says
/// which service (<see cref="Auth.AuthException"/> for GoTrue, <see cref="Rest.PostgrestException"/> for PostgREST,
/// <see cref="Realtime.RealtimeException"/> for Realtime) or which store action (<see cref="Chat.ChatOperationException"/>).
/// Wrong arguments are <see cref="ArgumentException"/>s instead, thrown before any request.
/// </summary>
public class AiChatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AiChatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public AiChatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public AiChatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with the server's answer.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="status">The HTTP status of the server's answer (0 when there was none).</param>
    /// <param name="errorCode">The server's error code (a PostgreSQL SQLSTATE, a PostgREST <c>PGRST</c> code, a GoTrue error code), or null.</param>
    /// <param name="innerException">The cause.</param>
    public AiChatException(string message, int status, string? errorCode, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status of the server's answer; 0 when the failure had none (a timeout, a socket error).</summary>
    public int Status { get; }

    /// <summary>The server's error code, when it gave one (for example <c>42501</c>, <c>PGRST116</c>, <c>invalid_credentials</c>).</summary>
    public string? ErrorCode { get; }
}
