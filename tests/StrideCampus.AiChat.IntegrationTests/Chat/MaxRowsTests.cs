using System.Net.Http.Headers;
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

        // The store pages past the cap: every session and every message, in order, none of the other user's.
        await using var tab = await ChatTab.OpenAsync(fixture.Stack, user);
        Assert.Equal(1_206, tab.Store.Current.Sessions.Count);
        var messages = await tab.Store.LoadMessagesAsync(session);
        Assert.Equal(1_500, messages.Count);
        Assert.Equal(Enumerable.Range(1, 1500).Select(i => "m" + i), messages.Select(m => m.Content));
        Assert.DoesNotContain(tab.Store.Current.Sessions, s => s.Id == otherSession);
    }
}
