using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>How <see cref="LocalStackServer"/> starts.</summary>
public sealed class LocalStackOptions
{
    /// <summary>HTTP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>
    /// The JWT secret (at least 32 characters). When null: with a kept <see cref="EmbeddedPostgresOptions.DataDirectory"/>
    /// the secret kept there (created on first start), so keys survive restarts; otherwise a random one.
    /// </summary>
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

    /// <summary>Channels one realtime socket may join at once, as Supabase's <c>max_channels_per_client</c> (100).</summary>
    public int RealtimeMaxChannelsPerSocket { get; set; } = 100;

    /// <summary>Realtime joins per second over all sockets, as Supabase's <c>max_joins_per_second</c> (100); 0 means no limit.</summary>
    public int RealtimeMaxJoinsPerSecond { get; set; } = 100;

    /// <summary>The largest realtime broadcast or presence payload in bytes (Supabase's Free plan: 256 KB).</summary>
    public int RealtimeMaxPayloadBytes { get; set; } = 256 * 1000;

    /// <summary>Bytes queued for a realtime client that does not read before its socket is dropped (16 MiB).</summary>
    public long RealtimeMaxQueuedBytesPerSocket { get; set; } = 16L * 1024 * 1024;

    /// <summary>The embedded PostgreSQL settings (data directory, port, binaries).</summary>
    public EmbeddedPostgresOptions Postgres { get; set; } = new();
}
