using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Realtime;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

[Collection(LocalStackCollection.Name)]
public sealed class RealtimeLifecycleTests(LocalStackFixture fixture)
{
    private async Task<PhoenixTestSocket> JoinMessagesAsync(string token, Guid session)
    {
        var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        await socket.PushAsync("1", "1", "realtime:life", "phx_join", new
        {
            config = new { postgres_changes = new[] { new { @event = "*", schema = "public", table = "ai_chat_messages", filter = $"session_id=eq.{session}" } } },
            access_token = token,
        });
        await socket.WaitForReplyAsync("1");
        await socket.WaitForEventAsync("system");
        return socket;
    }

    [Fact]
    public async Task Replication_uses_a_temporary_slot_and_resumes_after_its_walsender_is_killed()
    {
        var stack = fixture.Stack;
        var service = stack.Services.GetRequiredService<RealtimeService>();
        var slot = service.Replication.SlotName;
        Assert.NotNull(slot);
        Assert.True(await RealtimeTestData.ScalarAsync<bool>(stack, "select temporary and active from pg_replication_slots where slot_name = $1", slot));

        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user);
        await using var socket = await JoinMessagesAsync(RealtimeTestData.Token(stack, user), session);

        await RealtimeTestData.ExecuteAsync(stack, "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1", slot);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (service.Replication.SlotName == slot || !service.Replication.IsStreaming)
        {
            Assert.True(DateTime.UtcNow < deadline, "replication did not resume");
            await Task.Delay(50);
        }
        Assert.False(await RealtimeTestData.ScalarAsync<bool>(stack, "select exists(select 1 from pg_replication_slots where slot_name = $1)", slot));

        // Changes committed during the gap are lost with the old slot; as on Supabase, the only trace is another
        // "Subscribed to PostgreSQL" on the same join (no phx_error), and changes flow again.
        var system = Parts(await socket.WaitForEventAsync("system")).Payload;
        Assert.Equal("Subscribed to PostgreSQL", system.GetProperty("message").GetString());
        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'after restart')", session, user);
        var data = Parts(await socket.WaitForEventAsync("postgres_changes")).Payload.GetProperty("data");
        Assert.Equal("after restart", data.GetProperty("record").GetProperty("content").GetString());
        Assert.DoesNotContain(socket.Received, m => Parts(m).Event is "phx_error" or "phx_close");
    }

    [Fact]
    public async Task Refreshed_access_token_keeps_the_subscription_flowing()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user);
        await using var socket = await JoinMessagesAsync(RealtimeTestData.Token(stack, user, TimeSpan.FromMinutes(2)), session);
        await socket.PushAsync("1", "2", "realtime:life", "access_token", new { access_token = RealtimeTestData.Token(stack, user, TimeSpan.FromHours(2)) });
        var system = Parts(await socket.WaitForEventAsync("system")).Payload;
        Assert.Equal("Subscribed to PostgreSQL", system.GetProperty("message").GetString());
        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'still here')", session, user);
        Assert.Equal("still here", Parts(await socket.WaitForEventAsync("postgres_changes")).Payload.GetProperty("data").GetProperty("record").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Presence_is_tracked_and_cleaned_up_when_a_socket_dies()
    {
        var config = new { config = new { presence = new { key = "", enabled = true } } };
        await using var watcher = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        await watcher.PushAsync("1", "1", "realtime:pres", "phx_join", config);
        await watcher.WaitForReplyAsync("1");
        Assert.Equal("{}", Parts(await watcher.WaitForEventAsync("presence_state")).Payload.GetRawText());

        var tracker = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        await tracker.PushAsync("1", "1", "realtime:pres", "phx_join", new { config = new { presence = new { key = "user-7", enabled = true } } });
        await tracker.WaitForReplyAsync("1");
        await tracker.PushAsync("1", "2", "realtime:pres", "presence", new { type = "presence", @event = "track", payload = new { online_at = "now" } });
        Assert.Equal("ok", Parts(await tracker.WaitForReplyAsync("2")).Payload.GetProperty("status").GetString());

        var join = Parts(await watcher.WaitForEventAsync("presence_diff")).Payload;
        var meta = join.GetProperty("joins").GetProperty("user-7").GetProperty("metas")[0];
        Assert.Equal("now", meta.GetProperty("online_at").GetString());
        var phxRef = meta.GetProperty("phx_ref").GetString();
        Assert.False(string.IsNullOrEmpty(phxRef));
        Assert.Equal("{}", join.GetProperty("leaves").GetRawText());

        await tracker.DisposeAsync(); // the socket goes away without untrack
        var leave = Parts(await watcher.WaitForEventAsync("presence_diff")).Payload;
        Assert.Equal(phxRef, leave.GetProperty("leaves").GetProperty("user-7").GetProperty("metas")[0].GetProperty("phx_ref").GetString());
    }

    [Fact]
    public async Task Http_broadcast_reaches_joined_sockets()
    {
        await using var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        await socket.PushAsync("1", "1", "realtime:http-room", "phx_join", new { config = new { } });
        await socket.WaitForReplyAsync("1");
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent("""{"messages":[{"topic":"http-room","event":"ping","payload":{"n":3}}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", fixture.Stack.ServiceRoleKey);
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var got = Parts(await socket.WaitForEventAsync("broadcast")).Payload;
        Assert.Equal("""{"type":"broadcast","event":"ping","payload":{"n":3}}""", got.GetRawText());

        using var bad = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(bad)).StatusCode);
    }
}
