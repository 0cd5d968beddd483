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

    /// <summary>
    /// How long a used refresh token may be used again (GoTrue's <c>GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL</c>;
    /// 10 s in a Supabase project, the CLI's <c>refresh_token_reuse_interval = 10</c>).
    /// </summary>
    public TimeSpan RefreshTokenReuseInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>bcrypt cost of stored passwords (GoTrue uses Go's <c>bcrypt.DefaultCost</c>, 10).</summary>
    public int PasswordHashCost { get; set; } = 10;

    /// <summary>
    /// GoTrue's per-IP rate limits with a Supabase project's defaults: sign-ups 30 per 5 minutes, token requests
    /// (password sign-in and refresh) 150 per 5 minutes, each with a burst of 30; over them, 429
    /// <c>over_request_rate_limit</c>. Turn off for test suites that sign up many users from one address.
    /// </summary>
    public bool AuthRateLimits { get; set; } = true;

    /// <summary>
    /// Refuse public channel joins as a Supabase project with "Channel Restrictions: private channels only" does
    /// (the join reply is an error with reason <c>PrivateOnly: This project only allows private channels</c>).
    /// Default <see langword="false"/>; <c>start --private-only</c>.
    /// </summary>
    public bool PrivateOnly { get; set; }

    /// <summary>
    /// The largest change Realtime delivers whole, as Supabase's <c>max_record_bytes</c> (1 MiB): a change whose
    /// record (new row and old identity, as JSON) is larger keeps only the values of 64 bytes or less and carries
    /// <c>errors: ["Error 413: Payload Too Large"]</c>. Default 1,048,576; 0 means no limit; <c>start --max-record-bytes N</c>.
    /// </summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The project-wide Realtime quota in events per second (Supabase's <c>max_events_per_second</c>: Free 100,
    /// Pro 500), or null for none (the default). Broadcasts count once in and once per receiver, database changes
    /// once per matched subscription, averaged over up to 12 ticks of <see cref="EventsQuotaTick"/>. Over it, a
    /// channel receiving a broadcast gets the system error "Too many messages per second" and <c>phx_close</c>, and
    /// database changes are dropped without a signal. <c>start --events-per-second N</c>.
    /// </summary>
    public int? EventsPerSecond { get; set; }

    /// <summary>The tick of the <see cref="EventsPerSecond"/> average (Supabase: 5 s, 12 ticks kept). Default 5 seconds.</summary>
    public TimeSpan EventsQuotaTick { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long after its join reply a channel's postgres_changes bindings start receiving changes, as on hosted
    /// Supabase, which subscribes to the database after the reply and sends the <c>system</c> message
    /// "Subscribed to PostgreSQL" when changes flow (seconds later on a cold project). With a delay, changes committed
    /// before that message are never delivered to the channel. <see cref="TimeSpan.Zero"/> (the default) confirms at
    /// once, the binding being registered before the reply. <c>start --subscribe-delay-ms N</c>.
    /// </summary>
    public TimeSpan SubscribeDelay { get; set; }

    /// <summary>The embedded PostgreSQL settings (data directory, port, binaries).</summary>
    public EmbeddedPostgresOptions Postgres { get; set; } = new();
}
