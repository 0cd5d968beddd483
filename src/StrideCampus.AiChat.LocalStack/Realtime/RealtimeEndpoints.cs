using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Registers and maps the realtime service (<c>/realtime/v1</c>).</summary>
internal static class RealtimeEndpoints
{
    public static IServiceCollection AddRealtime(this IServiceCollection services)
    {
        services.AddSingleton<RealtimeService>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<RealtimeService>());
        return services;
    }

    public static WebApplication MapRealtimeEndpoint(this WebApplication app)
    {
        var service = app.Services.GetRequiredService<RealtimeService>();
        app.Map("/realtime/v1/websocket", (HttpContext http) => service.HandleWebSocketAsync(http));
        app.MapPost("/realtime/v1/api/broadcast", (HttpContext http) => service.HandleBroadcastAsync(http));
        app.MapPost("/realtime/v1/api/broadcast/{topic}/events/{event}", (HttpContext http, string topic, string @event) => service.HandleSingleBroadcastAsync(http, topic, @event));
        return app;
    }
}
