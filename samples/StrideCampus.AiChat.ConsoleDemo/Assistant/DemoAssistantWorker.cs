using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace StrideCampus.AiChat.ConsoleDemo.Assistant;

/// <summary>
/// The assistant worker a server would run (<c>AddAiChatAssistant</c>), here beside the demo's backend: it holds the
/// service role key and the model, and the tabs only ask for replies, watch them and stop them.
/// </summary>
internal sealed class DemoAssistantWorker : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IHostedService _worker;

    private DemoAssistantWorker(ServiceProvider services, IHostedService worker)
    {
        _services = services;
        _worker = worker;
    }

    public static async Task<DemoAssistantWorker> StartAsync(Uri url, string serviceRoleKey, IChatClient model, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection()
            .AddAiChatAssistant(o =>
            {
                o.Url = url;
                o.ServiceRoleKey = serviceRoleKey;
                o.WorkerId = "console-demo";
            }, _ => model)
            .BuildServiceProvider();
        var worker = services.GetServices<IHostedService>().Single();
        await worker.StartAsync(cancellationToken);
        return new DemoAssistantWorker(services, worker);
    }

    public async ValueTask DisposeAsync()
    {
        await _worker.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}
