using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.WebDemo;

/// <summary>
/// The web demo: LocalStack started in this process and an HTTP server on 127.0.0.1 that serves the
/// Blazor WebAssembly app and hands it the project URL and anon key as <c>/config.json</c>. The browser
/// then talks to LocalStack directly, cross-origin, as it would to a Supabase project.
/// </summary>
public sealed class WebDemoHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebDemoHost(WebApplication app, LocalStackServer localStack, Uri url)
    {
        _app = app;
        LocalStack = localStack;
        Url = url;
    }

    /// <summary>Where the app is served.</summary>
    public Uri Url { get; }

    /// <summary>The embedded backend.</summary>
    public LocalStackServer LocalStack { get; }

    /// <summary>Starts LocalStack and the app's server; returns when both accept requests.</summary>
    public static async Task<WebDemoHost> StartAsync(WebDemoHostOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options ??= new WebDemoHostOptions();
        var localStack = await LocalStackServer.StartAsync(options.LocalStack, loggerFactory, cancellationToken).ConfigureAwait(false);
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(WebDemoHost).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
                EnvironmentName = Environments.Production,
                WebRootPath = options.WebRoot,
            });
            builder.Logging.ClearProviders();
            // The app's files: from the client project's build output (dotnet run, tests) or wwwroot (published).
            if (options.WebRoot is null)
            {
                builder.WebHost.UseStaticWebAssets();
            }
            builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, options.Port));

            var app = builder.Build();
            var apiUrl = options.BrowserApiUrl?.Invoke(localStack.ApiUrl) ?? localStack.ApiUrl;
            var config = new JsonObject
            {
                ["url"] = apiUrl.ToString(),
                ["anonKey"] = localStack.AnonKey,
                ["debugLogging"] = options.BrowserDebugLogging,
                ["assistantWordDelayMs"] = (int)options.AssistantWordDelay.TotalMilliseconds,
            }.ToJsonString();
            app.MapGet("/config.json", () => Results.Text(config, "application/json"));
            // The static web assets' endpoints (fingerprinted and plain routes, Brotli and gzip when the browser takes them).
            app.MapStaticAssets(options.WebRoot is null ? null : Path.Combine(options.WebRoot, "..", builder.Environment.ApplicationName + ".staticwebassets.endpoints.json"));
            app.MapFallbackToFile("index.html");

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var url = new Uri(app.Urls.First());
            return new WebDemoHost(app, localStack, url);
        }
        catch
        {
            await localStack.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await LocalStack.DisposeAsync().ConfigureAwait(false);
    }
}
