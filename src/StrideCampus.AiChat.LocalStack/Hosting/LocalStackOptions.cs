using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>How <see cref="LocalStackServer"/> starts.</summary>
public sealed class LocalStackOptions
{
    /// <summary>HTTP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The JWT secret; a random one when null.</summary>
    public string? JwtSecret { get; set; }

    /// <summary>Lifetime of user access tokens (Supabase's default is one hour).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Realtime closes a socket that sends nothing (not even a heartbeat) for this long (Phoenix's default is 60 s).</summary>
    public TimeSpan RealtimeHeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The most rows one REST read returns, as a Supabase project's API setting "Max rows"
    /// (1,000 by default there and here); 0 means no cap.
    /// </summary>
    public int MaxRows { get; set; } = 1000;

    /// <summary>The embedded PostgreSQL settings (data directory, port, binaries).</summary>
    public EmbeddedPostgresOptions Postgres { get; set; } = new();
}
