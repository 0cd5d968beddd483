namespace StrideCampus.AiChat.Client.Auth;

/// <summary>An error reported by GoTrue (Supabase Auth), or a failure to reach it.</summary>
public sealed class AuthException : AiChatException
{
    /// <summary>Creates an exception without details.</summary>
    public AuthException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public AuthException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public AuthException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a GoTrue error response.</summary>
    /// <param name="status">The HTTP status (0 when no response was received).</param>
    /// <param name="errorCode">GoTrue's error code (for example <c>invalid_credentials</c>), when known.</param>
    /// <param name="message">GoTrue's message.</param>
    /// <param name="innerException">The cause, if any.</param>
    public AuthException(int status, string? errorCode, string message, Exception? innerException = null)
        : base(message, status, errorCode, innerException)
    {
    }
}
