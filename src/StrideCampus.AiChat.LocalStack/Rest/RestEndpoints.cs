using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.LocalStack.Auth;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>Maps the PostgREST-compatible subset under <c>/rest/v1</c>.</summary>
internal static class RestEndpoints
{
    public static IServiceCollection AddRestServices(this IServiceCollection services) =>
        services.AddSingleton<RestService>();

    public static IEndpointRouteBuilder MapRestEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapCorsPreflight("/rest/v1");
        var group = app.MapGroup("/rest/v1").RequireApiKey();
        group.MapMethods("/rpc/{function}", ["GET", "HEAD", "POST"], (HttpContext http, RestService rest, string function) => rest.HandleRpcAsync(http, function));
        group.MapMethods("/{table}", ["GET", "HEAD", "POST", "PATCH", "DELETE"], (HttpContext http, RestService rest, string table) => rest.HandleTableAsync(http, table));
        return app;
    }
}
