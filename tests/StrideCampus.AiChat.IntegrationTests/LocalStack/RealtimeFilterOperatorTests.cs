using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Realtime;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// postgres_changes filters beyond eq..in, as supabase/realtime parses them
/// (<c>lib/extensions/postgres_cdc_rls/subscriptions.ex</c>) and evaluates them
/// (<c>realtime.check_equality_op</c> in <c>lib/realtime/tenants/repo/migrations/20260626120000_readd_postgrest_filter_ops.ex</c>).
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class RealtimeFilterOperatorTests(LocalStackFixture fixture)
{
    [Fact]
    public async Task An_ilike_binding_delivers_only_matching_rows_and_only_to_their_owner()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, alice);
        await using var aliceSocket = await SubscribeAsync(RealtimeTestData.Token(stack, alice), "content=ilike.HELLO%");
        await using var bobSocket = await SubscribeAsync(RealtimeTestData.Token(stack, bob), "content=ilike.HELLO%");

        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'bye')", session, alice);
        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'hello there')", session, alice);

        // Commit order: the first change Alice receives is the second insert; 'bye' never matched.
        var change = Parts(await aliceSocket.WaitForEventAsync("postgres_changes")).Payload;
        Assert.Equal("hello there", change.GetProperty("data").GetProperty("record").GetProperty("content").GetString());
        await bobSocket.PushAsync(null, "hb", "phoenix", "heartbeat", new { });
        await bobSocket.WaitForReplyAsync("hb");
        Assert.DoesNotContain(bobSocket.Received, m => Parts(m).Event == "postgres_changes");
    }

    [Fact]
    public async Task An_in_filter_of_101_values_gets_a_system_error()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        var filter = $"content=in.({string.Join(',', Enumerable.Range(0, 101))})";
        await socket.PushAsync("1", "1", "realtime:many", "phx_join", new
        {
            config = new { postgres_changes = new[] { new { @event = "*", schema = "public", table = "ai_chat_messages", filter } } },
            access_token = RealtimeTestData.Token(fixture.Stack, user),
        });
        Assert.Equal("ok", Parts(await socket.WaitForReplyAsync("1")).Payload.GetProperty("status").GetString());
        var system = Parts(await socket.WaitForEventAsync("system")).Payload;
        Assert.Equal("error", system.GetProperty("status").GetString());
        Assert.Contains("Maximum 100", system.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private async Task<PhoenixTestSocket> SubscribeAsync(string token, string filter)
    {
        var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        await socket.PushAsync("1", "1", "realtime:filtered", "phx_join", new
        {
            config = new { postgres_changes = new[] { new { @event = "INSERT", schema = "public", table = "ai_chat_messages", filter } } },
            access_token = token,
        });
        Assert.Equal("ok", Parts(await socket.WaitForReplyAsync("1")).Payload.GetProperty("status").GetString());
        var system = Parts(await socket.WaitForEventAsync("system")).Payload;
        Assert.Equal("Subscribed to PostgreSQL", system.GetProperty("message").GetString());
        return socket;
    }
}
