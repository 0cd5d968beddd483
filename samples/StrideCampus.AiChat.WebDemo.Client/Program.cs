using Microsoft.AspNetCore.Components.WebAssembly.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.WebDemo.Client;
using StrideCampus.AiChat.WebDemo.Client.Assistant;

// A Blazor WebAssembly chat on the SDK as it ships: the SDK's own HttpClient (the browser's fetch) and
// ClientWebSocket (the browser's WebSocket), on the single browser thread.
var builder = WebAssemblyHostBuilder.CreateDefault(args);
builder.RootComponents.Add<App>("#app");

DemoConfig config;
using (var http = new HttpClient { BaseAddress = new Uri(builder.HostEnvironment.BaseAddress) })
{
    config = await DemoConfig.LoadAsync(http);
}

builder.Logging.SetMinimumLevel(config.DebugLogging ? LogLevel.Debug : LogLevel.Information);
builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
builder.Services.AddAiChatClient(o =>
{
    o.Url = config.Url;
    o.AnonKey = config.AnonKey;
});
builder.Services.AddSingleton<IChatClient>(_ => new OfflineResponder(TimeSpan.FromMilliseconds(config.AssistantWordDelayMs)));
builder.Services.AddSingleton<ChatApp>();

await builder.Build().RunAsync();
