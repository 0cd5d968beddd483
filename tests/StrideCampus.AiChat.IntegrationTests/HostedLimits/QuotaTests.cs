using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.HostedLimits;

/// <summary>
/// Issue 13 point 6 against LocalStack <c>--events-per-second</c>, which counts as Supabase's tenant quota does
/// (supabase/realtime lib/realtime/tenants.ex events_per_second_rate and db_events_per_second_rate; a broadcast once in
/// and once per receiver, a database change once per matched subscription). Over it the channels receiving
/// broadcasts get "Too many messages per second" and phx_close, and database changes are dropped without a signal.
/// </summary>
public sealed class QuotaTests : IAsyncLifetime
{
    private LocalStackServer _stack = null!;

    public async Task InitializeAsync() =>
        // Supabase averages over 12 ticks of 5 s; here 12 ticks of 250 ms, so the test sees the quota pass and recover in seconds.
        _stack = await LocalStackServer.StartAsync(new LocalStackOptions { EventsPerSecond = 5, EventsQuotaTick = TimeSpan.FromMilliseconds(250) });

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task Over_the_quota_the_watching_tab_is_told_backs_off_and_catches_up_on_the_changes_the_server_dropped()
    {
        var alice = await RealtimeTestData.CreateUserAsync(_stack);
        var bob = await RealtimeTestData.CreateUserAsync(_stack);
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        // An app that relays and writes far more than the defaults, so the project passes its 5 events a second. The
        // watcher waits longer without a signal (8 s) than the server keeps dropping changes (the 3 s average).
        await using var writer = await ChatTab.OpenAsync(_stack, alice, new MessageStoreOptions { MaxStreamRelaysPerSecond = 100, MaxStreamWritesPerSecond = 20 });
        await using var watcher = await ChatTab.OpenAsync(_stack, alice, new MessageStoreOptions { QuotaBackoffPeriod = TimeSpan.FromSeconds(8) }, loggerFactory);
        await using var bobTab = await ChatTab.OpenAsync(_stack, bob);
        await Task.WhenAll(writer.Store.WhenRelayStartedAsync(), watcher.Store.WhenRelayStartedAsync());
        var session = await writer.Store.CreateSessionAsync("over quota");
        await Eventually.TrueAsync(() => watcher.Store.GetSessionById(session.Id) is not null, "the watcher sees the session");
        var bobSeen = new ConcurrentQueue<ChatChange>();
        using var bobWatch = bobTab.Store.Changes.Subscribe(bobSeen.Enqueue);

        var tokens = Enumerable.Range(0, 100).Select(i => $"t{i} ").ToList();
        var row = await writer.Store.StreamAssistantReplyAsync(session.Id, TokenStream.Paced(tokens, TimeSpan.FromMilliseconds(10)));
        Assert.Equal(string.Concat(tokens), row.Content);

        // The watcher's relay channel was ended with Supabase's reason, and its store backed off.
        await Eventually.TrueAsync(
            () => logs.Events.Any(e => e.Id == 6060 && e.Text.Contains("Too many messages per second", StringComparison.Ordinal)),
            "the watcher is told the project is over its quota");
        // The final database write was dropped for every subscriber; the watcher catches up once the signal stops.
        await Eventually.TrueAsync(
            () => watcher.Store.GetSessionById(session.Id)?.Messages.SingleOrDefault(m => m.Id == row.Id) is { Status: MessageStatus.Complete } m
                && m.Content == row.Content,
            "the watcher ends with the whole reply",
            TimeSpan.FromSeconds(30));
        Assert.Contains(logs.Events, e => e.Id == 6061);
        Assert.Equal(0, watcher.Store.RelayBackoffLevel);
        Assert.Equal(await watcher.DatabaseDumpAsync(), watcher.StoreDump());

        // Bob shares the project's quota but never Alice's rows.
        Assert.DoesNotContain(bobSeen, c => c.Id == session.Id || c.Id == row.Id);
        Assert.Null(bobTab.Store.GetSessionById(session.Id));
    }
}
