namespace StrideCampus.AiChat.Client.Auth;

/// <summary>An error reported by GoTrue (Supabase Auth), or a failure to reach it.</summary>
public sealed class AuthException : Exception
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
        : base(message, innerException)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status of GoTrue's response (0 when no response was received).</summary>
    public int Status { get; }

    /// <summary>
    /// GoTrue's error code: <c>error_code</c> of the current format (for example <c>invalid_credentials</c>,
    /// <c>user_already_exists</c>, <c>weak_password</c>, <c>refresh_token_already_used</c>) or <c>error</c>
    /// of the older one (for example <c>invalid_grant</c>).
    /// </summary>
    public string? ErrorCode { get; }
}
