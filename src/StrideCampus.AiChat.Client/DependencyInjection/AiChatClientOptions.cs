using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>
/// Settings for <see cref="Microsoft.Extensions.DependencyInjection.AiChatServiceCollectionExtensions.AddAiChatClient(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{AiChatClientOptions})"/>,
/// bindable from configuration (section <c>AiChat</c> by convention).
/// </summary>
public sealed class AiChatClientOptions
{
    /// <summary>The Supabase project URL, for example <c>https://xyz.supabase.co</c>. Required.</summary>
    public Uri? Url { get; set; }

    /// <summary>The project's anon (publishable) key. Required. Never the service-role key in an app.</summary>
    public string? AnonKey { get; set; }

    /// <summary>The database schema holding the chat tables. Default <c>public</c>.</summary>
    public string Schema { get; set; } = "public";

    /// <summary>Realtime heartbeat interval (25 s by default, as Supabase's JS client).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>Timeout of realtime joins and pushes (10 s by default).</summary>
    public TimeSpan RealtimeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Realtime wire format; 2.0.0 by default.</summary>
    public RealtimeSerializerVersion RealtimeSerializer { get; set; } = RealtimeSerializerVersion.V2;

    /// <summary>How long before expiry the auth session refreshes itself (60 s by default).</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries of idempotent REST reads after transient failures (3 by default).</summary>
    public int RestMaxRetries { get; set; } = 3;

    /// <summary>Settings of every <see cref="MessageStore"/> the factory creates.</summary>
    public MessageStoreOptions Store { get; set; } = new();
}
