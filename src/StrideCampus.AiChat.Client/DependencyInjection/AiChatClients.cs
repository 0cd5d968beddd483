using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>Builds the clients from <see cref="AiChatClientOptions"/>: for the container's singletons and for each <see cref="AiChatConnection"/>.</summary>
internal static class AiChatClients
{
    public static SupabaseAuthClient CreateAuth(IHttpClientFactory http, AiChatClientOptions o, ILoggerFactory loggers) => new(
        http.CreateClient(AiChatServiceCollectionExtensions.AuthHttpClientName),
        new SupabaseAuthOptions { Url = o.Url!, ApiKey = o.AnonKey!, RefreshMargin = o.TokenRefreshMargin },
        loggers.CreateLogger<SupabaseAuthClient>());

    public static PostgrestClient CreateRest(IHttpClientFactory http, AiChatClientOptions o, IAccessTokenProvider tokens, ILoggerFactory loggers) => new(
        http.CreateClient(AiChatServiceCollectionExtensions.RestHttpClientName),
        new PostgrestClientOptions { Url = o.Url!, ApiKey = o.AnonKey!, Schema = o.Schema, MaxRetries = o.RestMaxRetries },
        tokens,
        loggers.CreateLogger<PostgrestClient>());

    public static RealtimeClient CreateRealtime(AiChatClientOptions o, IAccessTokenProvider tokens, ILoggerFactory loggers) => new(
        new RealtimeClientOptions
        {
            Url = o.Url!,
            ApiKey = o.AnonKey!,
            Version = o.RealtimeSerializer,
            HeartbeatInterval = o.HeartbeatInterval,
            Timeout = o.RealtimeTimeout,
        },
        tokens,
        loggers);
}
