namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Settings of the realtime service (read when a socket opens). The limits are hosted Supabase's defaults, from
/// supabase/realtime <c>config/runtime.exs</c> (TENANT_MAX_CHANNELS_PER_CLIENT 100, TENANT_MAX_JOINS_PER_SECOND 100)
/// and the Free plan's broadcast payload limit (256 KB); the byte bound and send stall stand for the BEAM's
/// per-process memory and the transport's send timeout, so one client that does not read cannot exhaust LocalStack.
/// </summary>
internal sealed class RealtimeOptions(TimeSpan heartbeatTimeout)
{
    /// <summary>A socket that sends nothing for this long is closed.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = heartbeatTimeout;

    /// <summary>Channels one socket may have joined at once; another join is refused ("ChannelRateLimitReached").</summary>
    public int MaxChannelsPerSocket { get; set; } = 100;

    /// <summary>Joins per second over all sockets (0: no limit); past it a join is refused and its socket disconnected.</summary>
    public int MaxJoinsPerSecond { get; set; } = 100;

    /// <summary>The largest broadcast or presence payload accepted, in bytes.</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1000;

    /// <summary>Bytes queued for one socket that its client has not read yet; past it the socket is dropped.</summary>
    public long MaxQueuedBytesPerSocket { get; set; } = 16L * 1024 * 1024;

    /// <summary>How long one frame may take to send before the socket is dropped as stalled.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Refuse public joins ("private channels only").</summary>
    public bool PrivateOnly { get; set; }

    /// <summary>Changes larger than this (record as JSON) lose their long values and carry "Error 413: Payload Too Large"; 0 means no limit.</summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    /// <summary>Changes that may wait for dispatch before more are shed (see <see cref="ChangeQueue"/>): about 10 MB of rows.</summary>
    public const int DefaultMaxQueuedChanges = 10_000;

    /// <summary>The project's event quota, or null when off.</summary>
    public TenantQuota? Quota { get; set; }
}
