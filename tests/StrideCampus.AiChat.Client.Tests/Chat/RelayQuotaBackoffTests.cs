using Microsoft.Extensions.Time.Testing;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>
/// Issue 13 point 6: when the server ends the relay channel with "Too many messages per second" (supabase/realtime
/// lib/realtime_web/channels/realtime_channel.ex, handle_info(:update_rate_counter)), the store relays less, then not
/// at all, and catches up once the signal stops (database changes are dropped silently meanwhile).
/// </summary>
public class RelayQuotaBackoffTests
{
    private const string TooMany = RelayQuotaBackoff.TooManyMessages;

    [Fact]
    public void Each_signal_backs_off_one_level_and_a_quiet_period_restores_the_configured_rate_once()
    {
        var time = new FakeTimeProvider();
        var recovered = 0;
        using var backoff = new RelayQuotaBackoff(time, TimeSpan.FromSeconds(60), () => recovered++);
        var configured = TimeSpan.FromMilliseconds(100);
        Assert.Equal(configured, backoff.RelayInterval(configured));

        Assert.Equal(1, backoff.OnTooManyMessages());
        Assert.Equal(configured * 4, backoff.RelayInterval(configured));
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(2, backoff.OnTooManyMessages()); // within the quiet period: off
        Assert.Null(backoff.RelayInterval(configured));
        Assert.Equal(2, backoff.OnTooManyMessages()); // and no further
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, recovered); // the period counts from the last signal

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, recovered);
        Assert.Equal(configured, backoff.RelayInterval(configured));
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, recovered);
    }

    [Fact]
    public async Task After_two_signals_a_streamed_reply_is_not_relayed_and_the_database_carries_it_whole()
    {
        var relay = new FakeStreamRelay();
        ChatSession session = null!;
        await using var h = await StoreHarness.StartAsync(
            db => session = db.SeedSession("s", active: true),
            new MessageStoreOptions { MaxStreamRelaysPerSecond = 1000, QuotaBackoffPeriod = TimeSpan.FromHours(1) },
            relay);

        relay.QuotaSignals.OnNext(TooMany);
        relay.QuotaSignals.OnNext(TooMany);
        Assert.Equal(2, h.Store.RelayBackoffLevel);
        var tokens = Enumerable.Range(0, 30).Select(i => $"t{i} ").ToList();
        var row = await h.Store.StreamAssistantReplyAsync(session.Id, TokenStream.Paced(tokens, TimeSpan.FromMilliseconds(2)));

        Assert.Empty(relay.Published);
        Assert.Equal(string.Concat(tokens), row.Content);
        Assert.Equal(string.Concat(tokens), h.Db.GetMessage(row.Id)!.Content);
    }

    [Fact]
    public async Task After_one_signal_the_relay_sends_four_times_less_often()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var relay = new FakeStreamRelay();
        ChatSession session = null!;
        await using var h = await StoreHarness.StartAsync(
            db => session = db.SeedSession("s", active: true),
            new MessageStoreOptions { MaxStreamRelaysPerSecond = 20, QuotaBackoffPeriod = TimeSpan.FromHours(1), TimeProvider = time },
            relay);
        relay.QuotaSignals.OnNext(TooMany);

        var tokens = Enumerable.Range(0, 40).Select(i => $"t{i} ").ToList();
        var held = new HeldStreamWrites(h.Db, relay, string.Concat(tokens).Length);
        var started = time.GetTimestamp();
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var streaming = h.Store.StreamAssistantReplyAsync(session.Id, TokenStream.OnVirtualClock(
            tokens, time, TimeSpan.FromMilliseconds(50), i => i == 1 ? held.InsertStarted : Task.CompletedTask, ended));
        await ended.Task.WaitAsync(Eventually.DefaultTimeout);
        var seconds = time.GetElapsedTime(started).TotalSeconds; // 2 virtual seconds, a token every 50 ms
        var row = await TokenStream.FinishOnVirtualClockAsync(streaming, ended.Task, time);

        // 20 a second configured would relay every token (40); 5 a second now: the first, every 4th after it, the tail.
        Assert.InRange(relay.Published.Count, (int)(seconds * 5) - 1, (int)(seconds * 5) + 2);
        Assert.Equal(row.Content.Length, relay.Published[^1].Offset + relay.Published[^1].Text.Length);
    }

    [Fact]
    public async Task When_the_signals_stop_the_store_refetches_what_the_server_dropped_and_relays_again()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var relay = new FakeStreamRelay();
        await using var h = await StoreHarness.StartAsync(
            db => db.SeedSession("s", active: true),
            new MessageStoreOptions { TimeProvider = time },
            relay);
        var loadsBefore = Loads(h.Db);
        var dropped = h.Db.SeedSession("written while the server dropped changes");

        relay.QuotaSignals.OnNext(TooMany);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(loadsBefore, Loads(h.Db)); // no refetch while still over the quota
        time.Advance(TimeSpan.FromSeconds(30));
        await h.Store.WhenReconciledAsync();

        Assert.Equal(0, h.Store.RelayBackoffLevel);
        Assert.True(Loads(h.Db) > loadsBefore, "a refetch after the quiet period");
        Assert.NotNull(h.Store.GetSessionById(dropped.Id));
    }

    private static int Loads(FakeChatDatabase db) => db.Calls.Where(c => c.Key.StartsWith("Load", StringComparison.Ordinal)).Sum(c => c.Value);
}
