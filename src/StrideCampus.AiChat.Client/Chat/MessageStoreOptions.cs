using System.Reactive.Concurrency;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Options of a <see cref="MessageStore"/>.</summary>
public sealed class MessageStoreOptions
{
    /// <summary>
    /// How many sessions keep their messages in memory (least recently used beyond it drop them; the
    /// active session always keeps them). Default 20.
    /// </summary>
    public int MaxCachedSessions { get; set; } = 20;

    /// <summary>
    /// How many sessions the store reads at open and per <see cref="MessageStore.LoadMoreSessionsAsync"/> (newest
    /// first). At most 999: a request asks for one row more, and Supabase caps every read at its "Max rows" (1000 by
    /// default; keep this below your project's setting). Default 30 (a chat screen's session list).
    /// </summary>
    public int SessionPageSize { get; set; } = 30;

    /// <summary>
    /// How many messages of a session the store reads when it opens the session and per
    /// <see cref="MessageStore.LoadOlderMessagesAsync"/> (newest first). At most 999, as <see cref="SessionPageSize"/>.
    /// Default 50 (a chat screen and some scrolling).
    /// </summary>
    public int MessagePageSize { get; set; } = 50;

    /// <summary>How long a session's messages stay in memory without being read. Default 30 minutes.</summary>
    public TimeSpan CacheExpiry { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How many database writes a streamed reply may make per second. Default 10.</summary>
    public double MaxStreamWritesPerSecond { get; set; } = 10;

    /// <summary>
    /// Whether streamed replies also travel token by token to the user's other clients over a private Realtime
    /// broadcast channel (topic <c>ai-chat-stream:{user id}</c>), so they see a reply grow as fast as it is
    /// written rather than at each database write. Needs <c>database/ai_chat_stream_authorization.sql</c>;
    /// without it the store logs a warning once and other clients follow the database writes alone.
    /// The database stays the record: relayed text is shown only while it extends what the database holds.
    /// Default <see langword="true"/>.
    /// </summary>
    public bool RelayStreamedTokens { get; set; } = true;

    /// <summary>
    /// How many relayed deltas a streamed reply may send per second (each carries every token since the last
    /// database write, so none is lost by the cap). Supabase counts each broadcast against the project's
    /// Realtime quota once sent and once per other client of the user; each database write counts once per client
    /// (see "Running against hosted Supabase" in the README). Default 15 (a token then reaches other clients within
    /// about 70 ms; one user streaming on two clients uses about 50 of the Free plan's 100 events per second). When
    /// the server reports "Too many messages per second" the store relays four times less often, then not at all,
    /// until a minute passes without the signal, and then refetches what the server dropped meanwhile.
    /// </summary>
    public double MaxStreamRelaysPerSecond { get; set; } = 15;

    /// <summary>
    /// The scheduler <see cref="MessageStore.StateChanges"/> and <see cref="MessageStore.Changes"/> notify on
    /// (a UI dispatcher, for example). Default: <see cref="TaskPoolScheduler.Default"/> (in browser WebAssembly
    /// without its long-running mode, which needs threads).
    /// </summary>
    public IScheduler? Scheduler { get; set; }

    /// <summary>The title of sessions created without one. Default "New chat".</summary>
    public string DefaultSessionTitle { get; set; } = "New chat";

    /// <summary>How long after the last "Too many messages per second" the store relays as configured again and catches up (Supabase's quota is a 60 s average).</summary>
    internal TimeSpan QuotaBackoffPeriod { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The clock (tests replace it). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Supabase's default "Max rows" less the row a page asks for beyond its size.</summary>
    internal const int MaxPageSize = 999;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCachedSessions, 1, nameof(MaxCachedSessions));
        ArgumentOutOfRangeException.ThrowIfLessThan(SessionPageSize, 1, nameof(SessionPageSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SessionPageSize, MaxPageSize, nameof(SessionPageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MessagePageSize, 1, nameof(MessagePageSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MessagePageSize, MaxPageSize, nameof(MessagePageSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CacheExpiry, TimeSpan.Zero, nameof(CacheExpiry));
        if (!(MaxStreamWritesPerSecond > 0) || double.IsInfinity(MaxStreamWritesPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxStreamWritesPerSecond), MaxStreamWritesPerSecond, "Must be a positive finite number.");
        }

        if (!(MaxStreamRelaysPerSecond > 0) || double.IsInfinity(MaxStreamRelaysPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxStreamRelaysPerSecond), MaxStreamRelaysPerSecond, "Must be a positive finite number.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(DefaultSessionTitle, nameof(DefaultSessionTitle));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
