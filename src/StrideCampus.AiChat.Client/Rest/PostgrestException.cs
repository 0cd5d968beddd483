namespace StrideCampus.AiChat.Client.Rest;

/// <summary>
/// An error answered by PostgREST (<c>{code, message, details, hint}</c> with its HTTP status), for
/// example <c>42501</c> (row-level security), <c>23505</c> (unique violation), <c>PGRST116</c>
/// (not exactly one row), <c>PGRST301</c> (bad JWT).
/// </summary>
public sealed class PostgrestException : AiChatException
{
    /// <summary>Creates an exception without details.</summary>
    public PostgrestException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public PostgrestException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public PostgrestException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a PostgREST error response.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="code">PostgREST's or PostgreSQL's error code.</param>
    /// <param name="message">PostgREST's message.</param>
    /// <param name="details">PostgREST's details.</param>
    /// <param name="hint">PostgREST's hint.</param>
    public PostgrestException(int status, string? code, string message, string? details = null, string? hint = null)
        : base(message, status, code)
    {
        Details = details;
        Hint = hint;
    }

    /// <summary>PostgREST's <c>details</c>.</summary>
    public string? Details { get; }

    /// <summary>PostgREST's <c>hint</c>.</summary>
    public string? Hint { get; }
}
