namespace StrideCampus.AiChat.Client.Auth;

/// <summary>Settings of <see cref="SupabaseAuthClient"/>.</summary>
public sealed class SupabaseAuthOptions
{
    /// <summary>The project URL (for example <c>https://xyz.supabase.co</c>); requests go to <c>{Url}/auth/v1/...</c>.</summary>
    public required Uri Url { get; set; }

    /// <summary>The project's anon (publishable) key, sent as the <c>apikey</c> header.</summary>
    public required string ApiKey { get; set; }

    /// <summary>How long before expiry the session is refreshed automatically. Default 60 seconds.</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether a timer refreshes the session before it expires. Default <see langword="true"/>.</summary>
    public bool AutoRefresh { get; set; } = true;

    /// <summary>The clock and timers used for expiry and refresh scheduling (replace it in tests).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Delay before retrying an automatic refresh that failed transiently. Default 5 seconds.</summary>
    public TimeSpan RefreshRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
}
