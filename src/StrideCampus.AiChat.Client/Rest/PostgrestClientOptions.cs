namespace StrideCampus.AiChat.Client.Rest;

/// <summary>Settings of <see cref="PostgrestClient"/>.</summary>
public sealed class PostgrestClientOptions
{
    /// <summary>The project URL (for example <c>https://xyz.supabase.co</c>); requests go to <c>{Url}/rest/v1/...</c>.</summary>
    public required Uri Url { get; set; }

    /// <summary>The project's anon (or service-role) key: the <c>apikey</c> header, and the bearer token when no user is signed in.</summary>
    public required string ApiKey { get; set; }

    /// <summary>The database schema; other than <c>public</c> it is sent as <c>Accept-Profile</c>/<c>Content-Profile</c>.</summary>
    public string Schema { get; set; } = "public";

    /// <summary>How often an idempotent request (GET/HEAD) is retried after a transient failure. Default 3; 0 disables retries.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry delay; each further retry doubles it (with jitter). Default 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest retry delay. Default 5 seconds.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock used for retry delays (replace it in tests).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
