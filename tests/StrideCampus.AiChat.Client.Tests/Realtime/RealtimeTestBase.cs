using System.Text.Json;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>Starts a scripted fake realtime server per test class instance.</summary>
public abstract class RealtimeTestBase : IAsyncLifetime
{
    protected const string ApiKey = "anon-key-secret-value";

    private readonly List<RealtimeClient> _clients = [];

    protected FakeRealtimeServer Server { get; private set; } = null!;

    protected CapturingLoggerFactory Logs { get; } = new();

    public async Task InitializeAsync() => Server = await FakeRealtimeServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("REALTIME_TEST_LOGS") == "1")
        {
            foreach (var entry in Logs.Entries)
            {
                Console.WriteLine($"{entry.Id.Id} {entry.Level} {entry.Message}");
            }
        }

        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Server.DisposeAsync();
    }

    protected RealtimeClient NewClient(Action<RealtimeClientOptions>? configure = null, IAccessTokenProvider? tokens = null)
    {
        var options = new RealtimeClientOptions
        {
            Url = Server.Url,
            ApiKey = ApiKey,
            HeartbeatInterval = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(3),
            ReconnectDelay = _ => TimeSpan.FromMilliseconds(50),
            RejoinDelay = _ => TimeSpan.FromMilliseconds(50),
        };
        configure?.Invoke(options);
        var client = new RealtimeClient(options, tokens, Logs);
        _clients.Add(client);
        return client;
    }

    protected static string JoinResponse(params (long Id, string Event, string Table, string? Filter)[] bindings) =>
        "{\"postgres_changes\":[" + string.Join(",", bindings.Select(b =>
            $"{{\"id\":{b.Id},\"event\":\"{b.Event}\",\"schema\":\"public\",\"table\":\"{b.Table}\"" +
            (b.Filter is null ? "" : $",\"filter\":{ServerFrame.JsonEncode(b.Filter)}") + "}")) + "]}";

    protected static string Change(string type, string table, string id, params long[] ids) =>
        "{\"ids\":[" + string.Join(",", ids) + "],\"data\":{\"schema\":\"public\",\"table\":\"" + table
        + "\",\"commit_timestamp\":\"2024-05-01T10:20:30Z\",\"eventType\":\"" + type + "\",\"new\":{\"id\":\"" + id
        + "\"},\"old\":{},\"columns\":[],\"errors\":null}}";

    /// <summary>Subscribes <paramref name="channel"/> with the server confirming the join; returns the connection and the join frame.</summary>
    protected async Task<(FakeConnection Connection, ServerFrame Join)> SubscribeAsync(RealtimeChannel channel, string response = "{}", FakeConnection? connection = null)
    {
        var subscribe = channel.SubscribeAsync();
        connection ??= await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        await connection.ReplyAsync(join, "ok", response);
        if (HasBindings(response))
        {
            await ConfirmPostgresAsync(connection, join);
        }

        await subscribe.WaitAsync(TimeSpan.FromSeconds(10));
        return (connection, join);
    }

    /// <summary>The server's <c>system</c> "Subscribed to PostgreSQL" on the channel of <paramref name="join"/> (changes flow from it).</summary>
    protected static Task ConfirmPostgresAsync(FakeConnection connection, ServerFrame join) =>
        connection.PushAsync(join, "system", "{\"extension\":\"postgres_changes\",\"status\":\"ok\",\"message\":\"Subscribed to PostgreSQL\",\"channel\":" + ServerFrame.JsonEncode(join.Topic["realtime:".Length..]) + "}");

    /// <summary>Answers a (re)join the way Supabase does: the reply, then "Subscribed to PostgreSQL" when it has bindings.</summary>
    protected static async Task AcceptJoinAsync(FakeConnection connection, ServerFrame join, string response = "{}")
    {
        await connection.ReplyAsync(join, "ok", response);
        if (HasBindings(response))
        {
            await ConfirmPostgresAsync(connection, join);
        }
    }

    private static bool HasBindings(string response) => response.Contains("\"postgres_changes\":[{", StringComparison.Ordinal);

    protected static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
