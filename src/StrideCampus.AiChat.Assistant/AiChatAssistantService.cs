using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Assistant;

/// <summary>
/// The hosted service <c>AddAiChatAssistant</c> registers: signs in to the project with the service role key (REST
/// for claims and writes, Realtime for the token relay) and runs an <see cref="AssistantWorker"/> until the host stops.
/// </summary>
internal sealed class AiChatAssistantService : BackgroundService
{
    private readonly IHttpClientFactory _http;
    private readonly IChatClient _model;
    private readonly AiChatAssistantOptions _options;
    private readonly ILoggerFactory _loggers;

    public AiChatAssistantService(
        IHttpClientFactory http, IChatClient model, IOptions<AiChatAssistantOptions> options, ILoggerFactory? loggers = null)
    {
        _http = http;
        _model = model;
        _options = options.Value;
        _options.Validate();
        _loggers = loggers ?? NullLoggerFactory.Instance;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var key = _options.ServiceRoleKey!;
        var tokens = new StaticAccessTokenProvider(key);
        var rest = new PostgrestClient(
            _http.CreateClient(AiChatAssistantServiceCollectionExtensions.HttpClientName),
            new PostgrestClientOptions { Url = _options.Url!, ApiKey = key, TimeProvider = _options.TimeProvider },
            tokens,
            _loggers.CreateLogger<PostgrestClient>());
        var realtime = _options.MaxStreamRelaysPerSecond > 0
            ? new RealtimeClient(new RealtimeClientOptions { Url = _options.Url!, ApiKey = key }, tokens, _loggers)
            : null;
        try
        {
            var worker = new AssistantWorker(rest, realtime, _model, _options, _loggers.CreateLogger<AiChatAssistantService>());
            await worker.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            if (realtime is not null)
            {
                await realtime.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
