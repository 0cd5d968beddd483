using System.Collections.Concurrent;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.HostedLimits;

/// <summary>
/// Issue 13 point 8 against LocalStack <c>--max-record-bytes</c> (256 KiB here; on a private-only project):
/// a change over the limit keeps only its values of 64 bytes or less and carries "Error 413: Payload Too Large"
/// (supabase/realtime lib/realtime/tenants/repo/migrations/20260709120000_fix_apply_rls_filter_role_leak.ex,
/// realtime.apply_rls); the SDK reads that one row by id, and never refetches everything.
/// </summary>
[Collection(PrivateOnlyCollection.Name)]
public sealed class PayloadTooLargeTests(PrivateOnlyFixture fixture)
{
    private const string TooLarge = "Error 413: Payload Too Large";

    [Fact]
    public async Task A_change_over_the_record_limit_arrives_with_its_short_values_and_the_413_error()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var session = await RealtimeTestData.CreateSessionAsync(fixture.Stack, user);
        await using var client = new RealtimeClient(
            new RealtimeClientOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey },
            new StaticAccessTokenProvider(RealtimeTestData.Token(fixture.Stack, user)));
        var channel = client.Channel($"ai-chat:{user:N}:{Guid.NewGuid():N}", new RealtimeChannelOptions { Private = true });
        var changes = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Insert, "public", "ai_chat_messages", "user_id=eq." + user)).Record();
        await channel.SubscribeAsync();

        var id = await InsertMessageAsync(user, session, new string('漢', 95_000));

        var change = await changes.FirstAsync(c => true, "the insert");
        Assert.Equal([TooLarge], change.Errors);
        var record = change.New!.Value;
        Assert.Equal(id, record.GetProperty("id").GetGuid());
        Assert.Equal(session, record.GetProperty("session_id").GetGuid());
        Assert.False(record.TryGetProperty("content", out _), "the long value is stripped");
    }

    [Fact]
    public async Task The_other_tab_gets_a_large_message_whole_by_reading_that_row_alone_and_another_user_gets_nothing()
    {
        var alice = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var bob = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var tab = await ChatTab.OpenAsync(fixture.Stack, alice);
        await using var bobTab = await ChatTab.OpenAsync(fixture.Stack, bob);
        var session = await tab.Store.CreateSessionAsync("large");
        var small = await tab.Store.AddMessageAsync(session.Id, "short");
        await Eventually.TrueAsync(() => tab.Store.GetSessionById(session.Id)?.Messages.Count == 1, "the short message");
        var seen = new ConcurrentQueue<ChatChange>();
        using var watch = tab.Store.Changes.Subscribe(seen.Enqueue);
        var bobSeen = new ConcurrentQueue<ChatChange>();
        using var bobWatch = bobTab.Store.Changes.Subscribe(bobSeen.Enqueue);
        var requestsBefore = tab.Http.Requests.Count;
        var bobRequestsBefore = bobTab.Http.Requests.Count;

        // Written elsewhere (another client, a server worker): this tab learns of it through realtime alone.
        var content = new string('漢', 95_000); // 285 KB of UTF-8, within the schema's 100,000 characters
        var id = await InsertMessageAsync(alice, session.Id, content);
        await Eventually.TrueAsync(
            () => tab.Store.GetSessionById(session.Id)?.Messages.SingleOrDefault(m => m.Id == id)?.Content == content, "the large message, whole");
        // And grown again by an update over the limit.
        var grown = content[..94_000] + " and more";
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "update public.ai_chat_messages set content = $1 where id = $2", grown, id);
        await Eventually.TrueAsync(
            () => tab.Store.GetSessionById(session.Id)?.Messages.SingleOrDefault(m => m.Id == id)?.Content == grown, "the update, whole");

        var requests = tab.Http.Requests.Skip(requestsBefore).ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.StartsWith("GET /rest/v1/ai_chat_messages?", r, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.Contains("id=eq." + id, r, StringComparison.Ordinal));
        Assert.Contains(seen, c => c.Kind == ChatChangeKind.MessageCreated && c.Id == id);
        Assert.Equal(small.Id, tab.Store.GetSessionById(session.Id)!.Messages[0].Id);

        // Bob's feed never matched Alice's rows: no event, no read.
        Assert.DoesNotContain(bobSeen, c => c.Id == id || c.Id == session.Id);
        Assert.Equal(bobRequestsBefore, bobTab.Http.Requests.Count);
    }

    private Task<Guid> InsertMessageAsync(Guid user, Guid session, string content) =>
        RealtimeTestData.ScalarAsync<Guid>(
            fixture.Stack,
            "insert into public.ai_chat_messages (session_id, user_id, content, is_user, status) values ($1, $2, $3, false, 'complete') returning id",
            session, user, content);
}
