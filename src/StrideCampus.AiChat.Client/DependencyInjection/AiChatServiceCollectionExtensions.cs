using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.Client.Rest;

// In the standard namespace, as AddHttpClient and AddChatClient: a using of Microsoft.Extensions.DependencyInjection finds it.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the AI chat client in a service collection.</summary>
public static class AiChatServiceCollectionExtensions
{
    /// <summary>Name of the <see cref="HttpClient"/> the auth client uses (configure it with <c>AddHttpClient(name)</c>).</summary>
    public const string AuthHttpClientName = "StrideCampus.AiChat.Auth";

    /// <summary>Name of the <see cref="HttpClient"/> the PostgREST client uses.</summary>
    public const string RestHttpClientName = "StrideCampus.AiChat.Rest";

    /// <summary>
    /// Registers <see cref="SupabaseAuthClient"/> (also as <see cref="IAccessTokenProvider"/>, unless
    /// the app registered its own), <see cref="PostgrestClient"/>, <see cref="RealtimeClient"/> and
    /// <see cref="IAiChatFactory"/> as singletons, with options validated at start-up.
    /// </summary>
    public static IServiceCollection AddAiChatClient(this IServiceCollection services, Action<AiChatClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<AiChatClientOptions>().Configure(configure).ValidateOnStart();
        return AddCore(services);
    }

    /// <summary>
    /// Registers the client with options read from <paramref name="configuration"/> (for example
    /// <c>builder.Configuration.GetSection("AiChat")</c>): every public property of <see cref="AiChatClientOptions"/>
    /// by name, store options under <c>Store:</c> (time spans as <c>hh:mm:ss</c>, <c>RealtimeSerializer</c> as
    /// <c>V1</c> or <c>V2</c>). A value that does not convert throws <see cref="InvalidOperationException"/>
    /// naming its key when the options are first read.
    /// </summary>
    public static IServiceCollection AddAiChatClient(this IServiceCollection services, IConfiguration configuration, Action<AiChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddOptions<AiChatClientOptions>().Configure(o => configuration.Bind(o));
        if (configure is not null)
        {
            builder.PostConfigure(configure);
        }
        builder.ValidateOnStart();
        return AddCore(services);
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AiChatClientOptions>, AiChatClientOptionsValidator>());

        // The clients are singletons that keep their HttpClient, so connections are recycled by the
        // handler's pool lifetime instead of by the factory's handler rotation.
        foreach (var name in new[] { AuthHttpClientName, RestHttpClientName })
        {
            services.AddHttpClient(name)
                .ConfigurePrimaryHttpMessageHandler(() => PrimaryHttpHandler.Create())
                .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        }

        services.TryAddSingleton(sp => AiChatClients.CreateAuth(sp.GetRequiredService<IHttpClientFactory>(), Options(sp), Loggers(sp)));
        services.TryAddSingleton<IAccessTokenProvider>(sp => sp.GetRequiredService<SupabaseAuthClient>());
        services.TryAddSingleton(sp => AiChatClients.CreateRest(
            sp.GetRequiredService<IHttpClientFactory>(), Options(sp), sp.GetRequiredService<IAccessTokenProvider>(), Loggers(sp)));
        services.TryAddSingleton(sp => AiChatClients.CreateRealtime(Options(sp), sp.GetRequiredService<IAccessTokenProvider>(), Loggers(sp)));
        services.TryAddSingleton<IAiChatFactory>(sp => new AiChatFactory(
            sp.GetRequiredService<PostgrestClient>(),
            sp.GetRequiredService<RealtimeClient>(),
            sp.GetRequiredService<IAccessTokenProvider>(),
            Options(sp),
            sp.GetRequiredService<IHttpClientFactory>(),
            Loggers(sp)));
        return services;
    }

    private static AiChatClientOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<AiChatClientOptions>>().Value;

    private static ILoggerFactory Loggers(IServiceProvider sp) => sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
}
