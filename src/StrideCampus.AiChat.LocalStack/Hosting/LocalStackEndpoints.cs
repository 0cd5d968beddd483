using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.LocalStack.Realtime;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>Where each service of the stack registers its dependencies and maps its routes.</summary>
internal static class LocalStackEndpoints
{
    public static void ConfigureServices(IServiceCollection services)
    {
        // Auth (/auth/v1), Rest (/rest/v1) and Realtime (/realtime/v1) register here.
        services.AddRealtime();
    }

    public static void Map(WebApplication app)
    {
        // Auth (/auth/v1), Rest (/rest/v1) and Realtime (/realtime/v1) map here.
        app.MapRealtimeEndpoint();
    }
}
