using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// The Supabase-Realtime-compatible service: accepts sockets at <c>/realtime/v1/websocket</c>,
/// runs the one replication stream and the change dispatcher, and relays HTTP broadcasts. Started
/// and stopped with the host; stopping closes every socket and ends the replication stream (its
/// temporary slot goes with the connection).
/// </summary>
internal sealed class RealtimeService : IHostedService, IAsyncDisposable
{
    private readonly LocalStackContext _context;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource _superuser;
    private readonly NpgsqlDataSource _authenticator;
    private readonly ChangeDispatcher _dispatcher;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _dispatch;
    private int _disposed;

    public RealtimeService(LocalStackContext context, ILoggerFactory loggerFactory, IHostApplicationLifetime? lifetime = null)
    {
        // Sockets end as soon as the host starts stopping, so the server need not wait for them.
        lifetime?.ApplicationStopping.Register(() => _stopping.Cancel());
        _context = context;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RealtimeService>();
        Time = TimeProvider.System;
        Options = new RealtimeOptions(context.Options.RealtimeHeartbeatTimeout)
        {
            MaxChannelsPerSocket = context.Options.RealtimeMaxChannelsPerSocket,
            MaxJoinsPerSecond = context.Options.RealtimeMaxJoinsPerSecond,
            MaxPayloadBytes = context.Options.RealtimeMaxPayloadBytes,
            MaxQueuedBytesPerSocket = context.Options.RealtimeMaxQueuedBytesPerSocket,
            PrivateOnly = context.Options.PrivateOnly,
            MaxRecordBytes = context.Options.MaxRecordBytes,
            Quota = context.Options.EventsPerSecond is > 0 and var eventsPerSecond
                ? new TenantQuota(eventsPerSecond, context.Options.EventsQuotaTick, Time)
                : null,
        };
        JoinRate = new JoinRateLimiter(() => Options.MaxJoinsPerSecond, Time);
        _superuser = NpgsqlDataSource.Create(context.Postgres.ConnectionString);
        var authenticator = new NpgsqlConnectionStringBuilder(context.Postgres.AuthenticatorConnectionString)
        {
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
            NoResetOnClose = true,
        };
        _authenticator = NpgsqlDataSource.Create(authenticator.ConnectionString);
        Registry = new ChannelRegistry();
        Presence = new PresenceTracker(Registry);
        Tokens = new RealtimeTokenValidator(context.Jwt, Time);
        Catalog = new RelationCatalog(_superuser);
        Authorizer = new TopicAuthorizer(_superuser);
        Replication = new ReplicationListener(context.Postgres.ConnectionString, Catalog, loggerFactory.CreateLogger<ReplicationListener>());
        // Changes committed while replication was down are lost (a temporary slot), and, as on Supabase, each
        // postgres_changes channel is only told "Subscribed to PostgreSQL" again (clients catch up on it).
        // Changes shed because dispatch fell too far behind are a gap too, told the same way.
        Replication.Resumed += ResubscribeAll;
        Subscriptions = new PostgresSubscriptions(_superuser, context.Options.SubscribeDelay, Time, _logger);
        _dispatcher = new ChangeDispatcher(Registry, new ChangeAuthorizer(_authenticator, loggerFactory.CreateLogger<ChangeAuthorizer>()), loggerFactory.CreateLogger<ChangeDispatcher>(), Options);
        _dispatcher.Gap += ResubscribeAll;
    }

    /// <summary>Delivers postgres_changes (internal: tests and the benchmark read its counters and hooks).</summary>
    internal ChangeDispatcher Dispatcher => _dispatcher;

    private void ResubscribeAll()
    {
        foreach (var channel in Registry.PostgresSubscribers)
        {
            channel.Session.ResubscribeAfterReplicationGap(channel);
        }
    }

    public TimeProvider Time { get; }

    public RealtimeOptions Options { get; }

    /// <summary>Joins per second over every socket.</summary>
    public JoinRateLimiter JoinRate { get; }

    public ChannelRegistry Registry { get; }

    public PresenceTracker Presence { get; }

    public RealtimeTokenValidator Tokens { get; }

    public RelationCatalog Catalog { get; }

    /// <summary>Realtime Authorization of private channels (policies on <c>realtime.messages</c>).</summary>
    public TopicAuthorizer Authorizer { get; }

    public ReplicationListener Replication { get; }

    /// <summary>When postgres_changes bindings start receiving changes.</summary>
    public PostgresSubscriptions Subscriptions { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Replication.Start();
        _dispatch = Task.Run(() => _dispatcher.RunAsync(Replication, _stopping.Token), CancellationToken.None);
        try
        {
            await Replication.Ready.WaitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Replication is not streaming yet; postgres_changes will start when it does");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    /// <summary>GET /realtime/v1/websocket?apikey=...&amp;vsn=...</summary>
    public async Task HandleWebSocketAsync(HttpContext http)
    {
        var serializer = PhoenixSerializer.ForVersion(http.Request.Query["vsn"].FirstOrDefault());
        if (serializer is null)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, "Unsupported serializer version").ConfigureAwait(false);
            return;
        }
        var key = http.Request.Headers["x-api-key"].FirstOrDefault() ?? http.Request.Query["apikey"].FirstOrDefault();
        var apiKey = await Tokens.CheckAsync(key).ConfigureAwait(false);
        if (!apiKey.IsValid)
        {
            _logger.LogInformation("Realtime connection refused: {Reason}", apiKey.ConnectError);
            await WriteErrorAsync(http, StatusCodes.Status401Unauthorized, apiKey.ConnectError).ConfigureAwait(false);
            return;
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, "Expected a WebSocket upgrade").ConfigureAwait(false);
            return;
        }
        // Lazy: only private channels need the headers. The session runs inside this request, so its headers stay valid.
        var headers = new Lazy<string>(() => HeadersJson(http.Request.Headers));
        using var socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var session = new RealtimeSocketSession(socket, serializer, apiKey, headers, this, _loggerFactory.CreateLogger<RealtimeSocketSession>());
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping.Token);
        await session.RunAsync(linked.Token).ConfigureAwait(false);
    }

    /// <summary>POST /realtime/v1/api/broadcast with <c>{messages:[{topic, event, payload, private}]}</c>.</summary>
    public async Task HandleBroadcastAsync(HttpContext http)
    {
        var caller = await AuthorizeHttpAsync(http).ConfigureAwait(false);
        if (caller is null)
        {
            return;
        }
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, "Invalid JSON body").ConfigureAwait(false);
            return;
        }
        using (body)
        {
            if (!body.RootElement.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                await WriteErrorAsync(http, StatusCodes.Status422UnprocessableEntity, "messages is required").ConfigureAwait(false);
                return;
            }
            // supabase/realtime lib/realtime/tenants/batch_broadcast.ex validates every message's payload size
            // (Tenants.validate_payload_size: the tenant's limit plus 500 bytes) before sending any: one too large
            // refuses the whole request with 422 and Ecto's error shape.
            if (OversizedPayloads(messages) is { } oversized)
            {
                await WritePayloadTooLargeAsync(http, oversized).ConfigureAwait(false);
                return;
            }
            // Write permission of a private topic is checked once per topic of the request.
            var writable = new Dictionary<string, bool>(StringComparer.Ordinal);
            string? headersJson = null; // serialized once, on the first private topic
            foreach (var message in messages.EnumerateArray())
            {
                if (message.TryGetProperty("topic", out var topic) && topic.ValueKind == JsonValueKind.String &&
                    message.TryGetProperty("event", out var ev) && ev.ValueKind == JsonValueKind.String)
                {
                    var payload = message.TryGetProperty("payload", out var p) ? p : default;
                    var isPrivate = message.TryGetProperty("private", out var flag) && flag.ValueKind == JsonValueKind.True;
                    var name = topic.GetString()!;
                    var allowed = true; // public topics need no check
                    if (isPrivate && !writable.TryGetValue(name, out allowed))
                    {
                        headersJson ??= HeadersJson(http.Request.Headers);
                        allowed = await CanWriteAsync(name, caller, headersJson, http.RequestAborted).ConfigureAwait(false);
                        writable[name] = allowed;
                    }
                    if (allowed)
                    {
                        Broadcast("realtime:" + name, isPrivate, ev.GetString()!, payload);
                    }
                }
            }
        }
        http.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    /// <summary>POST /realtime/v1/api/broadcast/{topic}/events/{event} with the payload as the body (httpSend).</summary>
    public async Task HandleSingleBroadcastAsync(HttpContext http, string topic, string @event)
    {
        var caller = await AuthorizeHttpAsync(http).ConfigureAwait(false);
        if (caller is null)
        {
            return;
        }
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
            var isPrivate = string.Equals(http.Request.Query["private"].FirstOrDefault(), "true", StringComparison.OrdinalIgnoreCase);
            if (!isPrivate || await CanWriteAsync(topic, caller, HeadersJson(http.Request.Headers), http.RequestAborted).ConfigureAwait(false))
            {
                Broadcast("realtime:" + topic, isPrivate, @event, body.RootElement);
            }
        }
        catch (JsonException)
        {
            await WriteErrorAsync(http, StatusCodes.Status400BadRequest, "Invalid JSON body").ConfigureAwait(false);
            return;
        }
        http.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    /// <summary>Whether the caller may broadcast on a private topic; refused or failed checks drop the message silently, as Supabase does.</summary>
    private async Task<bool> CanWriteAsync(string topic, TokenCheck caller, string headersJson, CancellationToken cancellationToken)
    {
        try
        {
            var policies = await Authorizer.WriteAsync(ChannelPolicies.Unchecked, topic, caller, headersJson, cancellationToken).ConfigureAwait(false);
            return policies.BroadcastWrite == true;
        }
        catch (NpgsqlException ex)
        {
            _logger.LogWarning("Write check of private topic {Topic} failed: {Error}", topic, ex.Message);
            return false;
        }
    }

    private void Broadcast(string topic, bool isPrivate, string @event, JsonElement payload)
    {
        void Write(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("type", "broadcast");
            w.WriteString("event", @event);
            w.WritePropertyName("payload");
            if (payload.ValueKind == JsonValueKind.Undefined)
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            else
            {
                payload.WriteTo(w);
            }
            w.WriteEndObject();
        }
        // Counted once in, as Supabase's HTTP broadcast does (lib/realtime/tenants/batch_broadcast.ex), then per delivery.
        Options.Quota?.CountInbound();
        // Encoded once per serializer and shared: a large broadcast to many sockets costs its size once or twice, not per socket.
        var frames = new Dictionary<PhoenixSerializer, OutboundFrame>(2);
        foreach (var channel in Registry.OnTopic(ChannelSubscription.RoutingKeyOf(topic, isPrivate)))
        {
            if (!channel.CanReceiveBroadcast || channel.IsClosed)
            {
                continue;
            }
            try
            {
                var serializer = channel.Session.Serializer;
                if (!frames.TryGetValue(serializer, out var frame))
                {
                    frames[serializer] = frame = serializer.Encode(null, null, topic, "broadcast", Write);
                }
                channel.Session.Send(frame);
                if (Options.Quota?.CountDelivery() == true)
                {
                    channel.Session.Shutdown(channel, TenantQuota.TooManyMessages);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "HTTP broadcast on {Topic} not delivered to one socket", topic);
            }
        }
    }

    /// <summary>Checks the API key and bearer token; returns the caller (the bearer's claims, else the key's), or null once refused.</summary>
    private async Task<TokenCheck?> AuthorizeHttpAsync(HttpContext http)
    {
        var key = http.Request.Headers["apikey"].FirstOrDefault() ?? http.Request.Query["apikey"].FirstOrDefault();
        var check = await Tokens.CheckAsync(key).ConfigureAwait(false);
        if (!check.IsValid)
        {
            await WriteErrorAsync(http, StatusCodes.Status401Unauthorized, check.ConnectError).ConfigureAwait(false);
            return null;
        }
        var bearer = http.Request.Headers.Authorization.FirstOrDefault();
        if (bearer is not null && bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var user = await Tokens.CheckAsync(bearer["Bearer ".Length..]).ConfigureAwait(false);
            if (!user.IsValid)
            {
                await WriteErrorAsync(http, StatusCodes.Status401Unauthorized, user.ConnectError).ConfigureAwait(false);
                return null;
            }
            return user;
        }
        return check;
    }

    /// <summary>The request headers as Realtime gives them to policies (<c>request.headers</c>): lower-case names, the last value of each.</summary>
    private static string HeadersJson(IHeaderDictionary headers)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var header in headers)
            {
                writer.WriteString(header.Key.ToLowerInvariant(), header.Value.LastOrDefault() ?? "");
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>For each message, whether its payload passes the limit; null when none does.</summary>
    private bool[]? OversizedPayloads(JsonElement messages)
    {
        var limit = (long)Options.MaxPayloadBytes + 500;
        var over = new bool[messages.GetArrayLength()];
        var any = false;
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("payload", out var payload)
                && System.Text.Encoding.UTF8.GetByteCount(payload.GetRawText()) > limit)
            {
                over[i] = any = true;
            }
            i++;
        }
        return any ? over : null;
    }

    private static async Task WritePayloadTooLargeAsync(HttpContext http, bool[] oversized)
    {
        http.Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        http.Response.ContentType = "application/json";
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("errors");
            writer.WriteStartArray("messages");
            foreach (var over in oversized)
            {
                writer.WriteStartObject();
                if (over)
                {
                    writer.WriteStartArray("payload");
                    writer.WriteStringValue("Payload size exceeds tenant limit");
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        await http.Response.Body.WriteAsync(stream.ToArray(), http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("error", message);
            writer.WriteEndObject();
        }
        await http.Response.Body.WriteAsync(stream.ToArray(), http.RequestAborted).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Replication.DisposeAsync().ConfigureAwait(false);
        if (_dispatch is not null)
        {
            await _dispatch.ConfigureAwait(false);
        }
        await _superuser.DisposeAsync().ConfigureAwait(false);
        await _authenticator.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
