namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>Thrown when the embedded cluster cannot be created, started or stopped.</summary>
public sealed class EmbeddedPostgresException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EmbeddedPostgresException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
