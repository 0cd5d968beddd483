using System.Net.Http.Headers;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>
/// Supabase caps every REST read at the project's "Max rows" (1,000 by default) without an error,
/// and LocalStack does the same: the store must page, or long histories lose rows silently.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class MaxRowsTests(LocalStackFixture fixture)
{
    [Fact]
    public async Task Reads_are_capped_like_supabase_and_the_store_still_loads_every_row()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var other = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var session = await RealtimeTestData.CreateSessionAsync(fixture.Stack, user, "long history");
        var otherSession = await RealtimeTestData.CreateSessionAsync(fixture.Stack, other, "someone else");
        for (var i = 0; i < 1_205; i++)
        {
            await RealtimeTestData.CreateSessionAsync(fixture.Stack, user, "s" + i);
        }
        await RealtimeTestData.ExecuteAsync(fixture.Stack,
            "insert into ai_chat_messages (session_id, user_id, content) select $1, $2, 'm' || g from generate_series(1, 1500) g", session, user);
        await RealtimeTestData.ExecuteAsync(fixture.Stack,
            "insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, 'not yours')", otherSession, other);

        // The cap, over plain REST: 1,000 rows of 1,500, and Content-Range says so.
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"rest/v1/ai_chat_messages?select=id&session_id=eq.{session}");
        request.Headers.Add("apikey", fixture.Stack.AnonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RealtimeTestData.Token(fixture.Stack, user));
        request.Headers.Add("Prefer", "count=exact");
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("0-999/1500", response.Content.Headers.GetValues("Content-Range").Single());

        // The store pages past the cap, each request under it (the largest pages it allows): every session and every
        // message, in order, none of the other user's.
        await using var tab = await ChatTab.OpenAsync(fixture.Stack, user, new MessageStoreOptions { SessionPageSize = 999, MessagePageSize = 999 });
        Assert.Equal(999, tab.Store.Current.Sessions.Count);
        Assert.True(tab.Store.Current.HasMoreSessions);
        while (tab.Store.Current.HasMoreSessions)
        {
            await tab.Store.LoadMoreSessionsAsync();
        }

        Assert.Equal(1_206, tab.Store.Current.Sessions.Count);
        var messages = await tab.Store.LoadMessagesAsync(session);
        Assert.Equal(999, messages.Count);
        messages = await tab.Store.LoadOlderMessagesAsync(session);
        Assert.False(tab.Store.GetSessionById(session)!.HasOlderMessages);
        Assert.Equal(1_500, messages.Count);
        Assert.All(
            tab.Http.Requests.Select(r => System.Text.RegularExpressions.Regex.Match(r, "[?&]limit=([0-9]+)")).Where(m => m.Success),
            m => Assert.InRange(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 1000));
        Assert.Equal(Enumerable.Range(1, 1500).Select(i => "m" + i), messages.Select(m => m.Content));
        Assert.DoesNotContain(tab.Store.Current.Sessions, s => s.Id == otherSession);
    }

    /// <summary>
    /// PostgREST caps embedded rows at db-max-rows too (PostgREST/postgrest
    /// <c>test/spec/Feature/Query/QueryLimitedSpec.hs</c>, "works on all levels"), so a store that loaded
    /// <c>select=*,ai_chat_messages(*)</c> and reconciled against it removed every message past the 1,000th, in
    /// every client, at open and after every reconnect.
    /// </summary>
    [Fact]
    public async Task A_session_longer_than_max_rows_paged_in_whole_survives_refresh_and_reconnect()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var other = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var session = await RealtimeTestData.CreateSessionAsync(fixture.Stack, user, "long history");
        var otherSession = await RealtimeTestData.CreateSessionAsync(fixture.Stack, other, "someone else");
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "update ai_chat_sessions set is_active = true where id = $1", session);
        await RealtimeTestData.ExecuteAsync(fixture.Stack,
            "insert into ai_chat_messages (session_id, user_id, content, created_at) " +
            "select $1, $2, 'm' || g, now() + g * interval '1 millisecond' from generate_series(1, 1500) g", session, user);
        await RealtimeTestData.ExecuteAsync(fixture.Stack,
            "insert into ai_chat_messages (session_id, user_id, content) select $1, $2, 'not yours ' || g from generate_series(1, 1200) g", otherSession, other);
        var expected = Enumerable.Range(1, 1500).Select(i => "m" + i).ToArray();
        IEnumerable<string> Held(ChatTab tab) => tab.Store.Current.Sessions.Single(s => s.Id == session).Messages.Select(m => m.Content);

        // The embed really is capped here, as on Supabase: the store must not take it as the whole session.
        await using var tab = await ChatTab.OpenAsync(fixture.Stack, user);
        var embedded = await tab.Rest.From<ChatSessionRow>("ai_chat_sessions", ChatJsonContext.Default.ChatSessionRow)
            .Select("*,ai_chat_messages(*)").Eq("id", session.ToString()).GetAsync();
        Assert.Equal(1_000, Assert.Single(embedded).AiChatMessages!.Count);

        // Open: the active session's newest page; older pages on demand, until every message is held, in order.
        var state = tab.Store.Current.Sessions.Single(s => s.Id == session);
        Assert.True(state.MessagesLoaded);
        Assert.True(state.HasOlderMessages);
        Assert.Equal(expected[^50..], Held(tab));
        while (tab.Store.GetSessionById(session)!.HasOlderMessages)
        {
            await tab.Store.LoadOlderMessagesAsync(session);
        }

        Assert.Equal(expected, Held(tab));
        Assert.DoesNotContain(tab.Store.Current.Sessions, s => s.Id == otherSession);

        // Refresh (a reconcile): nothing removed.
        await tab.Store.RefreshAsync();
        Assert.Equal(expected, Held(tab));

        // Reconnect: the reconcile after it removes nothing either.
        var reconciled = tab.Store.Current.Stats.Reconciliations;
        tab.DropRealtimeSocket();
        await Eventually.TrueAsync(() => !tab.Store.IsRealtimeConnected, "the store notices the drop");
        await Eventually.TrueAsync(() => tab.Store.IsRealtimeConnected && tab.Store.Current.Stats.Reconciliations > reconciled,
            "the store reconnects and reconciles", TimeSpan.FromSeconds(30));
        Assert.Equal(expected, Held(tab));

        // The other user, over REST and in a store of their own, sees none of it.
        await using var otherTab = await ChatTab.OpenAsync(fixture.Stack, other);
        while (otherTab.Store.GetSessionById(otherSession)!.HasOlderMessages || !otherTab.Store.GetSessionById(otherSession)!.MessagesLoaded)
        {
            await otherTab.Store.LoadOlderMessagesAsync(otherSession);
        }

        Assert.Equal(1_200, otherTab.Store.Current.Sessions.Single(s => s.Id == otherSession).Messages.Count);
        Assert.DoesNotContain(otherTab.Store.Current.Sessions, s => s.Id == session);
        Assert.Empty(await otherTab.Rest.From<ChatMessage>("ai_chat_messages", ChatJsonContext.Default.ChatMessage).Eq("session_id", session.ToString()).GetAsync());
    }
}
