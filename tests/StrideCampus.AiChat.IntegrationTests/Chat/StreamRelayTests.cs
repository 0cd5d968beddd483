using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>Streamed tokens relayed between a user's tabs over the private channel ai-chat-stream:{user}, and nobody else's.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class StreamRelayTests(LocalStackFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_streamed_reply_reaches_the_other_tab_token_by_token_while_the_database_is_written_rarely()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        // Few database writes, and a relay cap high enough to carry every token on its own.
        var slowWrites = new MessageStoreOptions { MaxStreamWritesPerSecond = 2, MaxStreamRelaysPerSecond = 1000 };
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var a = await ChatTab.OpenAsync(fixture.Stack, user, slowWrites, loggerFactory);
        await using var b = await ChatTab.OpenAsync(fixture.Stack, user, loggerFactory: loggerFactory);
        await Task.WhenAll(a.Store.WhenRelayStartedAsync(), b.Store.WhenRelayStartedAsync());
        Assert.DoesNotContain(logs.Events, e => e.Id == 6035);
        Assert.Equal(2, logs.Events.Count(e => e.Id == 6034)); // both tabs joined their relay
        var session = await a.Store.CreateSessionAsync("relayed");
        await Eventually.TrueAsync(() => b.Store.GetSessionById(session.Id) is not null, "B sees the session");

        var seenInB = new ConcurrentQueue<string>();
        using var watch = b.Store.Changes.Subscribe(c =>
        {
            if (c is MessageChange { Message: { IsUser: false } m })
            {
                seenInB.Enqueue(m.Content);
            }
        });
        var writesBefore = a.Http.Requests.Count;
        var tokens = Enumerable.Range(0, 80).Select(i => $"t{i} ").ToList();
        var expected = string.Concat(tokens);
        var row = await a.Store.StreamAssistantReplyAsync(session.Id, TokenStream.Paced(tokens, TimeSpan.FromMilliseconds(5)));
        var writes = a.Http.Requests.Count - writesBefore;

        Assert.Equal(expected, row.Content);
        await Eventually.TrueAsync(
            () => b.Store.GetSessionById(session.Id)?.Messages.SingleOrDefault() is { Status: MessageStatus.Complete } m && m.Content == expected,
            "B ends with the exact text");
        var versions = seenInB.Distinct().ToList();
        output.WriteLine($"{tokens.Count} tokens, {writes} database writes by A, {versions.Count} versions of the reply seen in B");
        Assert.All(versions, v => Assert.StartsWith(v, expected, StringComparison.Ordinal));
        Assert.True(versions.Zip(versions.Skip(1)).All(p => p.First.Length < p.Second.Length), "the text only grows in B");
        // At 2 writes a second the database alone would show B a handful of versions; the relay shows most tokens.
        Assert.True(writes <= 6, $"{writes} database writes");
        Assert.True(versions.Count >= tokens.Count / 2, $"B saw only {versions.Count} versions of {tokens.Count} tokens");
        Assert.Equal(await b.DatabaseDumpAsync(), b.StoreDump());
    }

    [Fact]
    public async Task Another_user_can_neither_join_the_relay_of_a_user_nor_see_their_tokens()
    {
        var alice = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var mallory = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var aliceTab = await ChatTab.OpenAsync(fixture.Stack, alice);
        await using var alicePhone = await ChatTab.OpenAsync(fixture.Stack, alice);
        await using var malloryTab = await ChatTab.OpenAsync(fixture.Stack, mallory);
        await Task.WhenAll(aliceTab.Store.WhenRelayStartedAsync(), alicePhone.Store.WhenRelayStartedAsync(), malloryTab.Store.WhenRelayStartedAsync());

        // Mallory tries Alice's topic with her own token: refused by the realtime.messages policies, logged, not thrown.
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var spy = new RealtimeStreamRelay(malloryTab.Realtime, alice, loggerFactory.CreateLogger("spy"));
        var spied = new ConcurrentQueue<StreamDelta>();
        using var spySubscription = spy.Deltas.Subscribe(spied.Enqueue);
        await spy.StartAsync(CancellationToken.None);
        Assert.False(spy.IsJoined);
        Assert.Contains(logs.Events, e => e.Id == 6035 && e.Text.Contains("Unauthorized", StringComparison.Ordinal));

        var seenByMallory = new ConcurrentQueue<ChatChange>();
        using var malloryWatch = malloryTab.Store.Changes.Subscribe(seenByMallory.Enqueue);
        var session = await aliceTab.Store.CreateSessionAsync("private thoughts");
        await Eventually.TrueAsync(() => alicePhone.Store.GetSessionById(session.Id) is not null, "Alice's phone sees the session");
        var secret = "alice-secret-" + Guid.NewGuid().ToString("N");
        var row = await aliceTab.Store.StreamAssistantReplyAsync(session.Id, TokenStream.Paced([secret, " more", " words"], TimeSpan.FromMilliseconds(20)));
        await Eventually.TrueAsync(() => alicePhone.Store.GetSessionById(session.Id)?.Messages.SingleOrDefault()?.Content == row.Content, "Alice's phone has the reply");

        await Task.Delay(300); // anything that would leak has had time to arrive
        Assert.Empty(spied);
        Assert.DoesNotContain(seenByMallory, c => c is MessageChange { Message: var m } && m.Content.Contains(secret, StringComparison.Ordinal));
        Assert.Empty(malloryTab.Store.Current.Sessions);
    }

    [Fact]
    public async Task A_broad_policy_elsewhere_in_the_project_does_not_open_a_users_relay_to_others()
    {
        var alice = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var mallory = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var malloryTab = await ChatTab.OpenAsync(fixture.Stack, mallory);
        // The docs' example policies: every signed-in user may receive and send broadcasts on any topic.
        await RealtimeTestData.ExecuteAsync(fixture.Stack,
            "create policy test_broad_read on realtime.messages for select to authenticated using (true)");
        await RealtimeTestData.ExecuteAsync(fixture.Stack,
            "create policy test_broad_write on realtime.messages for insert to authenticated with check (true)");
        try
        {
            await using var spy = new RealtimeStreamRelay(malloryTab.Realtime, alice, null);
            await spy.StartAsync(CancellationToken.None);
            Assert.False(spy.IsJoined); // the restrictive policy keeps ai-chat-stream:<alice> to Alice

            await using var own = new RealtimeStreamRelay(malloryTab.Realtime, mallory, null);
            await own.StartAsync(CancellationToken.None);
            Assert.True(own.IsJoined);
        }
        finally
        {
            await RealtimeTestData.ExecuteAsync(fixture.Stack, "drop policy if exists test_broad_read on realtime.messages");
            await RealtimeTestData.ExecuteAsync(fixture.Stack, "drop policy if exists test_broad_write on realtime.messages");
        }
    }
}
