using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Realtime;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>The seed's performance and cleanup claims, measured against LocalStack.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class ChatEfficiencyTests(LocalStackFixture fixture)
{
    private ChannelRegistry Registry => fixture.Stack.Services.GetRequiredService<RealtimeService>().Registry;

    private ChannelSubscription[] ChannelsOf(Guid userId) =>
        [.. Registry.PostgresSubscribers.Where(c => c.Name.StartsWith($"ai-chat:{userId:N}:", StringComparison.Ordinal) && !c.IsClosed)];

    [Fact]
    public async Task The_store_opens_with_a_sync_point_one_session_page_and_the_active_sessions_messages_and_serves_reads_from_memory()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var other = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var ids = new List<Guid>();
        for (var s = 0; s < 5; s++)
        {
            var session = await RealtimeTestData.CreateSessionAsync(fixture.Stack, user, $"s{s}");
            ids.Add(session);
            var theirs = await RealtimeTestData.CreateSessionAsync(fixture.Stack, other, $"other {s}");
            for (var m = 0; m < 4; m++)
            {
                await RealtimeTestData.ExecuteAsync(fixture.Stack,
                    "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, $3)", session, user, $"m{m}");
                await RealtimeTestData.ExecuteAsync(fixture.Stack,
                    "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'other secret')", theirs, other);
            }
        }

        await RealtimeTestData.ExecuteAsync(fixture.Stack, "update public.ai_chat_sessions set is_active = true where id = $1", ids[2]);
        await using var tab = await ChatTab.OpenAsync(fixture.Stack, user);
        // A sync point, the newest page of sessions, the active session's newest messages; never an embed (Supabase
        // caps embedded rows at Max rows too) and never the other sessions' messages.
        Assert.Equal(3, tab.Http.Requests.Count);
        Assert.Contains(tab.Http.Requests, r => r.Contains("/rest/v1/rpc/ai_chat_sync_point", StringComparison.Ordinal));
        Assert.Contains(tab.Http.Requests, r => r.Contains("/rest/v1/ai_chat_sessions?select=", StringComparison.Ordinal) && r.Contains("limit=31", StringComparison.Ordinal));
        Assert.Contains(tab.Http.Requests, r => r.Contains($"/rest/v1/ai_chat_messages?select=*&session_id=eq.{ids[2]}", StringComparison.Ordinal) && r.Contains("limit=51", StringComparison.Ordinal));
        Assert.DoesNotContain(tab.Http.Requests, r => Uri.UnescapeDataString(r).Contains("ai_chat_messages(", StringComparison.Ordinal));
        Assert.Equal(5, tab.Store.GetSessions().Count);
        Assert.False(tab.Store.Current.HasMoreSessions);
        Assert.Equal(["m0", "m1", "m2", "m3"], tab.Store.Current.ActiveSession!.Messages.Select(m => m.Content));
        Assert.Equal(1, tab.Store.Current.Stats.CachedSessionCount);

        foreach (var s in tab.Store.GetSessions())
        {
            Assert.Equal(4, (await tab.Store.LoadMessagesAsync(s.Id)).Count); // one page read per session opened
            Assert.Equal(4, tab.Store.GetSessionById(s.Id)!.Messages.Count);
        }

        Assert.Equal(3 + 4, tab.Http.Requests.Count);
        foreach (var s in tab.Store.GetSessions())
        {
            Assert.Equal(4, (await tab.Store.LoadMessagesAsync(s.Id)).Count);
        }

        Assert.Equal(3 + 4, tab.Http.Requests.Count); // cached: no further queries
        Assert.DoesNotContain("other", tab.StoreDump(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evicted_sessions_reload_their_messages_with_one_query_on_demand()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var ids = new List<Guid>();
        for (var s = 0; s < 3; s++)
        {
            var session = await RealtimeTestData.CreateSessionAsync(fixture.Stack, user, $"s{s}");
            ids.Add(session);
            await RealtimeTestData.ExecuteAsync(fixture.Stack,
                "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'x')", session, user);
        }

        await using var tab = await ChatTab.OpenAsync(fixture.Stack, user, new MessageStoreOptions { MaxCachedSessions = 1 });
        foreach (var id in ids)
        {
            await tab.Store.LoadMessagesAsync(id);
        }

        Assert.Equal(1, tab.Store.Current.Stats.CachedSessionCount);
        var evicted = ids.First(id => !tab.Store.GetSessionById(id)!.MessagesLoaded);
        var before = tab.Http.Requests.Count;
        Assert.Equal("x", Assert.Single(await tab.Store.LoadMessagesAsync(evicted)).Content);
        Assert.Equal(before + 1, tab.Http.Requests.Count);
        Assert.Contains($"session_id=eq.{evicted}", tab.Http.Requests.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscriptions_are_filtered_share_one_socket_and_are_removed_on_dispose()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var tab = await ChatTab.OpenAsync(fixture.Stack, user);
        var session = await tab.Store.CreateSessionAsync("s");
        var chats = await RealtimeAIChats.CreateAsync(tab.Realtime, tab.Rest, user, new RealtimeAIChatsOptions { SessionId = session.Id });

        var channels = ChannelsOf(user);
        Assert.Equal(2, channels.Length);
        Assert.Single(channels.Select(c => c.Session).Distinct()); // one socket (connection) for both
        var filters = channels.SelectMany(c => c.Bindings)
            .Select(b => $"{b.Table} {(b.Requested.TryGetProperty("filter", out var f) ? f.GetString() : null)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(
            new[]
            {
                $"ai_chat_deletions user_id=eq.{user}", // deletes, for both
                $"ai_chat_deletions user_id=eq.{user}",
                $"ai_chat_messages session_id=eq.{session.Id}", // RealtimeAIChats for one session
                $"ai_chat_messages user_id=eq.{user}",           // the store: all of the user's messages
                $"ai_chat_sessions user_id=eq.{user}",
                $"ai_chat_sessions user_id=eq.{user}",
            },
            filters);

        await chats.DisposeAsync();
        await Eventually.TrueAsync(() => ChannelsOf(user).Length == 1, "the RealtimeAIChats channel is left on dispose");
        await tab.Store.DisposeAsync();
        await Eventually.TrueAsync(() => ChannelsOf(user).Length == 0, "the store's channel is left on dispose");
        await tab.DisposeAsync();
    }

    [Fact]
    public async Task The_store_queries_are_served_by_the_schema_indexes()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var session = await RealtimeTestData.CreateSessionAsync(fixture.Stack, user);
        async Task<string> Plan(string sql)
        {
            await using var conn = new Npgsql.NpgsqlConnection(fixture.Stack.Postgres.ConnectionString);
            await conn.OpenAsync();
            await using (var off = new Npgsql.NpgsqlCommand("set enable_seqscan = off; set enable_bitmapscan = off", conn))
            {
                await off.ExecuteNonQueryAsync();
            }

            await using var cmd = new Npgsql.NpgsqlCommand("explain " + sql, conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            var lines = new List<string>();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }

            return string.Join("\n", lines);
        }

        // the one-query load (sessions of the user, newest first) and its embedded messages
        Assert.Contains("ai_chat_sessions_user_updated", await Plan($"select * from public.ai_chat_sessions where user_id = '{user}' order by updated_at desc"), StringComparison.Ordinal);
        // one session's messages in chronological order (reload of an evicted session)
        var messages = await Plan($"select * from public.ai_chat_messages where session_id = '{session}' order by created_at, id");
        Assert.Contains("ai_chat_messages_session_created", messages, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", messages, StringComparison.Ordinal);
        // the ids of the user's messages (RealtimeAIChats learning which deletes are ours)
        Assert.Contains("ai_chat_messages_user", await Plan($"select id from public.ai_chat_messages where user_id = '{user}'"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_seed_debug_moments_are_logged_with_stable_event_ids_and_no_secrets()
    {
        var provider = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Trace));
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var tab = await ChatTab.OpenAsync(fixture.Stack, user, loggerFactory: factory);
        await using var other = await ChatTab.OpenAsync(fixture.Stack, user);
        var session = await other.Store.CreateSessionAsync("logged");
        // The tab loads the messages of a session created elsewhere when its insert arrives; a message added while that
        // load runs arrives in the load's page and its realtime insert is an echo (6011, not 6010). Add it after.
        await Eventually.TrueAsync(() => tab.Store.Current.Sessions.Any(s => s.Id == session.Id && s.MessagesLoaded), "the session arrives with its messages loaded");
        var message = await other.Store.AddMessageAsync(session.Id, "do not log this content");
        // Realtime checks RLS on the row when it delivers an insert: a row deleted before that is never
        // delivered (as on Supabase), so wait for the insert before deleting.
        await Eventually.TrueAsync(() => tab.Store.GetSessionById(session.Id)?.Messages.Count == 1, "the message arrives");

        await other.Store.DeleteMessageAsync(message.Id);
        await Eventually.TrueAsync(() => provider.Events.Any(e => e.Id == 6010 && e.Text.Contains("MessageDeleted", StringComparison.Ordinal)), "the delete is logged");

        var events = provider.Events.ToList();
        Assert.Contains(events, e => e.Id == 6000); // setting up subscriptions
        Assert.Contains(events, e => e.Id == 6001 && e.Text.Contains("Connected", StringComparison.Ordinal)); // subscription status
        Assert.Contains(events, e => e.Id == 6010 && e.Text.Contains("SessionCreated", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Id == 6010 && e.Text.Contains("MessageCreated", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Id == 6020); // loaded
        var all = string.Join("\n", events.Select(e => e.Text));
        Assert.DoesNotContain(tab.Token, all, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Stack.AnonKey, all, StringComparison.Ordinal);
        Assert.DoesNotContain("do not log this content", all, StringComparison.Ordinal);
    }
}
