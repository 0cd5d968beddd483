using System.Diagnostics;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>One user's SDK realtime client (its own socket and token) subscribed to INSERTs on the announcements table.</summary>
internal sealed class FanoutSubscriber : IAsyncDisposable
{
    private readonly RealtimeClient _client;
    private readonly IDisposable _subscription;

    private FanoutSubscriber(RealtimeClient client, IDisposable subscription)
    {
        _client = client;
        _subscription = subscription;
    }

    /// <summary>Connects and joins; <paramref name="onRow"/> gets each delivered row's body and the arrival time.</summary>
    /// <param name="topic">The channel name; null for one of its own (<c>fanout-{index}</c>).</param>
    /// <param name="tokenSkew">Added to the token's lifetime, so sockets of one user hold distinct tokens.</param>
    public static async Task<FanoutSubscriber> ConnectAsync(BenchStack stack, Guid userId, int index, Action<int, string, long> onRow, CancellationToken ct, string? topic = null, TimeSpan tokenSkew = default)
    {
        var client = new RealtimeClient(
            new RealtimeClientOptions { Url = stack.Server.ApiUrl, ApiKey = stack.Server.AnonKey },
            new StaticAccessTokenProvider(stack.Token(userId, tokenSkew)));
        try
        {
            var channel = client.Channel(topic ?? "fanout-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var subscription = channel
                .OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Insert, "public", FanoutBench.Table))
                .Subscribe(change =>
                {
                    var arrived = Stopwatch.GetTimestamp();
                    if (change.New is { } row && row.TryGetProperty("body", out var body) && body.GetString() is { } text)
                    {
                        onRow(index, text, arrived);
                    }
                });
            await channel.SubscribeAsync(ct);
            return new FanoutSubscriber(client, subscription);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        await _client.DisposeAsync();
    }
}
