using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.LocalStack.Auth;
using StrideCampus.AiChat.LocalStack.Realtime;
using StrideCampus.AiChat.LocalStack.Rest;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>Where each service of the stack registers its dependencies and maps its routes.</summary>
internal static class LocalStackEndpoints
{
    public static void ConfigureServices(IServiceCollection services)
    {
        services.AddAuthServices();
        services.AddRestServices();
        services.AddRealtime();
    }

    public static void Map(WebApplication app)
    {
        app.MapAuthEndpoints();
        app.MapRestEndpoints();
        app.MapRealtimeEndpoint();
    }
}
