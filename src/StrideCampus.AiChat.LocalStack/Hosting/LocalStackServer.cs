using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.LocalStack.Auth;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>
/// A local Supabase-compatible stack: an embedded PostgreSQL and one HTTP server on 127.0.0.1
/// serving <c>/auth/v1</c>, <c>/rest/v1</c> and <c>/realtime/v1</c>. For development, demos and
/// tests only, never production.
/// </summary>
public sealed class LocalStackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private LocalStackServer(WebApplication app, EmbeddedPostgres postgres, JwtService jwt, string anonKey, string serviceRoleKey, Uri apiUrl, TimeSpan startup)
    {
        _app = app;
        Postgres = postgres;
        Jwt = jwt;
        AnonKey = anonKey;
        ServiceRoleKey = serviceRoleKey;
        ApiUrl = apiUrl;
        StartupTime = startup;
    }

    /// <summary>The base URL clients use as the Supabase project URL.</summary>
    public Uri ApiUrl { get; }

    /// <summary>The anon API key (a JWT with role anon).</summary>
    public string AnonKey { get; }

    /// <summary>The service-role API key (a JWT with role service_role; bypasses RLS).</summary>
    public string ServiceRoleKey { get; }

    /// <summary>The JWT secret every token is signed with.</summary>
    public string JwtSecret => Jwt.Secret;

    /// <summary>The embedded database.</summary>
    public EmbeddedPostgres Postgres { get; }

    /// <summary>Issues and validates tokens with this stack's secret.</summary>
    public JwtService Jwt { get; }

    /// <summary>How long <see cref="StartAsync"/> took, database included.</summary>
    public TimeSpan StartupTime { get; }

    /// <summary>Services of the running host (for tests that reach inside).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts PostgreSQL and the HTTP server; returns when both accept requests.</summary>
    public static async Task<LocalStackServer> StartAsync(LocalStackOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalStackOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        var sw = Stopwatch.StartNew();
        var postgres = await EmbeddedPostgres.StartAsync(options.Postgres, loggerFactory.CreateLogger<EmbeddedPostgres>(), cancellationToken).ConfigureAwait(false);
        try
        {
            var jwt = new JwtService(JwtSecretStore.Resolve(options, postgres));
            var anonKey = jwt.CreateApiKey("anon");
            var serviceKey = jwt.CreateApiKey("service_role");

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<ILoggerFactory>(new RedactingLoggerFactory(loggerFactory));
            builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, options.Port));
            var context = new LocalStackContext(postgres, jwt, anonKey, serviceKey, options);
            builder.Services.AddSingleton(context);
            LocalStackEndpoints.ConfigureServices(builder.Services);

            var app = builder.Build();
            app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
            app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
            LocalStackEndpoints.Map(app);

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Urls.First();
            var server = new LocalStackServer(app, postgres, jwt, anonKey, serviceKey, new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)), sw.Elapsed);
            loggerFactory.CreateLogger<LocalStackServer>().LogInformation("LocalStack ready at {Url} in {Elapsed} ms", server.ApiUrl, sw.ElapsedMilliseconds);
            return server;
        }
        catch
        {
            await postgres.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _app.StopAsync(cts.Token).ConfigureAwait(false);
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        await Postgres.DisposeAsync().ConfigureAwait(false);
    }
}
