using System.Net.WebSockets;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Settings of a <see cref="RealtimeClient"/>.</summary>
public sealed class RealtimeClientOptions
{
    /// <summary>The Supabase project URL (for example <c>https://xyz.supabase.co</c>); the socket goes to <c>{Url}/realtime/v1/websocket</c>.</summary>
    public required Uri Url { get; set; }

    /// <summary>The project's API key (anon key), sent as the <c>apikey</c> query parameter.</summary>
    public required string ApiKey { get; set; }

    /// <summary>The serializer version; <see cref="RealtimeSerializerVersion.V2"/> by default.</summary>
    public RealtimeSerializerVersion Version { get; set; } = RealtimeSerializerVersion.V2;

    /// <summary>
    /// The interval between heartbeats (25 s by default). A heartbeat gets a whole interval for its reply, as in
    /// phoenix and realtime-js: one still unanswered when the next is due marks the socket dead.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>The timeout of connects, joins and pushes that expect a reply (10 s by default).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The delay before reconnect attempt <c>n</c> (1-based); by default 1 s, 2 s, 5 s, then 10 s, plus up to 10% jitter.</summary>
    public Func<int, TimeSpan>? ReconnectDelay { get; set; }

    /// <summary>The delay before channel rejoin attempt <c>n</c> (1-based); by default 1 s, 2 s, 5 s, then 10 s.</summary>
    public Func<int, TimeSpan>? RejoinDelay { get; set; }

    /// <summary>
    /// The least delay before rejoining a channel that the server closed over a rate limit ("Too many messages per
    /// second", "Too many joins per second", ...): 30 s by default, so that a client does not keep the project over
    /// its quota. Other closes rejoin with <see cref="RejoinDelay"/>; a permission refusal does not rejoin.
    /// </summary>
    public TimeSpan RateLimitedRejoinDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a channel with postgres_changes bindings waits, after its join reply, for the server's
    /// <c>system</c> message "Subscribed to PostgreSQL" (from which changes flow) before it reports
    /// <see cref="SubscribeStatus.Subscribed"/> anyway (10 s by default). Consumers load after Subscribed, and a
    /// confirmation that comes later reports Subscribed again, so they reconcile what they may have missed.
    /// </summary>
    public TimeSpan PostgresChangesConfirmTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sends broadcasts as binary frames (kind 3, serializer 2.0.0 only) as the JS client does; JSON text frames otherwise (default).</summary>
    public bool BinaryBroadcasts { get; set; }

    /// <summary>The most frames kept while the socket is down (flushed in order on open); 1,000 by default.</summary>
    public int SendBufferLimit { get; set; } = 1000;

    /// <summary>The most bytes of frames kept while the socket is down or the server reads slowly (a frame larger than it is still kept alone); 8 MiB by default.</summary>
    public long SendBufferByteLimit { get; set; } = 8 * 1024 * 1024;

    /// <summary>The most pushes a channel buffers before it is joined (flushed in order on join); 100 by default.</summary>
    public int PushBufferLimit { get; set; } = 100;

    /// <summary>The most bytes of payload a channel buffers before it is joined (a push larger than it is still kept alone); 4 MiB by default.</summary>
    public long PushBufferByteLimit { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// The largest frame accepted from the server, in bytes; a larger one closes the socket. 3 MiB by default: Supabase
    /// Realtime caps a message's payload at 3,000 KB (<c>max_payload_size_in_kb</c>, supabase/realtime
    /// <c>lib/realtime/api/tenant.ex</c>; checked in <c>lib/realtime/tenants.ex</c>, <c>validate_payload_size</c>), and
    /// the rest leaves room for the frame around it.
    /// </summary>
    public int MaxMessageSize { get; set; } = 3 * 1024 * 1024;

    /// <summary>The time source for timers (tests may pass a fake one); <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Opens the socket to the given endpoint (which carries <c>apikey</c> and <c>vsn</c>) and returns it open; the
    /// token cancels the attempt at <see cref="Timeout"/>. A <see cref="ClientWebSocket"/> by default; supply another for
    /// a proxy, custom headers or certificates, or an in-memory transport in tests. The client owns and disposes the
    /// socket it returns.
    /// </summary>
    public Func<Uri, CancellationToken, Task<WebSocket>>? WebSocketFactory { get; set; }
}
