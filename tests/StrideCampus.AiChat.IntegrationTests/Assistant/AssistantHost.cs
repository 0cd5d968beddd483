using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Assistant;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Assistant;

/// <summary>One assistant worker beside the stack, registered the way a server registers it (AddAiChatAssistant).</summary>
internal sealed class AssistantHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IHostedService _worker;
    private int _stopped;

    private AssistantHost(ServiceProvider services, IHostedService worker, string workerId, CapturingLoggerProvider logs)
    {
        _services = services;
        _worker = worker;
        WorkerId = workerId;
        Logs = logs;
    }

    public string WorkerId { get; }

    /// <summary>Everything the worker logged (debug and up).</summary>
    public CapturingLoggerProvider Logs { get; }

    public static async Task<AssistantHost> StartAsync(
        LocalStackServer stack, IChatClient model, string workerId, TimeSpan? lease = null, int maxConcurrent = 16)
    {
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection()
            .AddLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug))
            .AddAiChatAssistant(o =>
            {
                o.Url = stack.ApiUrl;
                o.ServiceRoleKey = stack.ServiceRoleKey;
                o.WorkerId = workerId;
                o.LeaseDuration = lease ?? TimeSpan.FromSeconds(10);
                o.PollInterval = TimeSpan.FromMilliseconds(200);
                o.MaxConcurrentReplies = maxConcurrent;
            }, _ => model)
            .BuildServiceProvider();
        var worker = services.GetServices<IHostedService>().Single();
        await worker.StartAsync(CancellationToken.None);
        return new AssistantHost(services, worker, workerId, logs);
    }

    /// <summary>Stops the worker the way a dying process would leave its replies: unfinished, leases still held.</summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _worker.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _services.DisposeAsync();
    }
}
