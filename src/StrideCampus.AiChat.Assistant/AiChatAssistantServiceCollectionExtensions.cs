using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using StrideCampus.AiChat.Assistant;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the assistant worker that generates requested chat replies on a server.</summary>
public static class AiChatAssistantServiceCollectionExtensions
{
    /// <summary>Name of the <see cref="HttpClient"/> the worker uses for PostgREST (configure it with <c>AddHttpClient(name)</c>).</summary>
    public const string HttpClientName = "StrideCampus.AiChat.Assistant";

    /// <summary>
    /// Adds a hosted service that claims the replies clients request (<c>MessageStore.RequestAssistantReplyAsync</c>,
    /// <c>RegenerateAssistantReplyAsync</c>), generates each with the <see cref="IChatClient"/> registered in the
    /// container (or <paramref name="chatClient"/>), streams it into the chat as clients do, and obeys stops. Run any
    /// number of instances: each reply is claimed by one, and a reply whose worker dies is taken over when its lease
    /// ends. Needs <c>database/ai_chat_assistant_replies.sql</c> in the project.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the project URL and service role key (keep the key on the server) and tunes the worker.</param>
    /// <param name="chatClient">Creates the model client; by default the container's <see cref="IChatClient"/>.</param>
    /// <returns>The services.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configure"/> is null.</exception>
    /// <remarks>Options are validated when the service starts: a missing URL or key throws <see cref="ArgumentException"/>.</remarks>
    public static IServiceCollection AddAiChatAssistant(
        this IServiceCollection services, Action<AiChatAssistantOptions> configure, Func<IServiceProvider, IChatClient>? chatClient = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<AiChatAssistantOptions>().Configure(configure);
        services.AddHttpClient(HttpClientName);
        services.AddLogging();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AiChatAssistantService>(sp =>
            ActivatorUtilities.CreateInstance<AiChatAssistantService>(sp, chatClient?.Invoke(sp) ?? sp.GetRequiredService<IChatClient>())));
        return services;
    }
}
