namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>How <see cref="EmbeddedPostgres"/> creates and runs its cluster.</summary>
public sealed class EmbeddedPostgresOptions
{
    /// <summary>Directory holding initdb, pg_ctl and postgres. Found automatically when null.</summary>
    public string? BinDirectory { get; set; }

    /// <summary>
    /// A data directory that survives restarts. When null, a throwaway cluster is created in a
    /// temporary directory and deleted on dispose.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Whether to apply the embedded database/ scripts after start.</summary>
    public bool ApplySchema { get; set; } = true;

    /// <summary>How long start and stop may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
}
