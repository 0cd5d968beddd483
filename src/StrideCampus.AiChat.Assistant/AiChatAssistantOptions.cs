namespace StrideCampus.AiChat.Assistant;

/// <summary>
/// Options of the assistant worker (<c>services.AddAiChatAssistant(...)</c>). The worker signs in with the project's
/// service role key: run it on a server only, never in an app users can read.
/// </summary>
public sealed class AiChatAssistantOptions
{
    /// <summary>The Supabase project URL (for example <c>https://xyz.supabase.co</c>).</summary>
    public Uri? Url { get; set; }

    /// <summary>The project's service role key (bypasses RLS; keep it on the server).</summary>
    public string? ServiceRoleKey { get; set; }

    /// <summary>This worker's name in <c>ai_chat_reply_requests.claimed_by</c> (unique per running instance).</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Guid.NewGuid():N}";

    /// <summary>How long a claim holds without renewal: after a worker dies, another takes its replies over this late.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the worker looks for new requests, renews its leases and checks for stops (stops take at most about this long).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Replies this worker generates at once.</summary>
    public int MaxConcurrentReplies { get; set; } = 16;

    /// <summary>Claims of one request before it is given up and its message marked error (a reply that kills its workers).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Database writes per second of one streaming reply (each carries the whole text so far), as clients stream.</summary>
    public double MaxStreamWritesPerSecond { get; set; } = 10;

    /// <summary>Token relays per second of one streaming reply on the user's <c>ai-chat-stream</c> channel; 0 turns the relay off.</summary>
    public double MaxStreamRelaysPerSecond { get; set; } = 30;

    /// <summary>Clock for leases and pacing (tests use a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> for a missing or out-of-range value.</summary>
    internal void Validate()
    {
        if (Url is null || !Url.IsAbsoluteUri)
        {
            throw new ArgumentException("AiChatAssistantOptions.Url must be the absolute URL of the Supabase project.", nameof(Url));
        }

        if (string.IsNullOrWhiteSpace(ServiceRoleKey))
        {
            throw new ArgumentException("AiChatAssistantOptions.ServiceRoleKey is required (the project's service role key, on the server only).", nameof(ServiceRoleKey));
        }

        if (string.IsNullOrWhiteSpace(WorkerId) || WorkerId.Length > 200)
        {
            throw new ArgumentException("AiChatAssistantOptions.WorkerId must be 1 to 200 characters.", nameof(WorkerId));
        }

        if (PollInterval <= TimeSpan.Zero || LeaseDuration < PollInterval * 3)
        {
            throw new ArgumentException("AiChatAssistantOptions.LeaseDuration must be at least three poll intervals, and PollInterval positive.", nameof(LeaseDuration));
        }

        if (MaxConcurrentReplies < 1 || MaxAttempts < 1 || !(MaxStreamWritesPerSecond > 0) || !(MaxStreamRelaysPerSecond >= 0))
        {
            throw new ArgumentException("AiChatAssistantOptions: MaxConcurrentReplies and MaxAttempts must be at least 1, MaxStreamWritesPerSecond positive, MaxStreamRelaysPerSecond not negative.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
