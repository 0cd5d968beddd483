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
    private static readonly RelationInfo Messages = new(1, "public", "t",
    [
        new RelationColumn("content", 25, "text", "text"),
        new RelationColumn("is_user", 16, "bool", "boolean"),
        new RelationColumn("n", 23, "int4", "integer"),
        new RelationColumn("note", 25, "text", "text"),
    ], [0], rlsEnabled: true);

    // Row: content 'Hello, World', is_user true, n 5, note NULL.
    [Theory]
    [InlineData("content=like.Hello%", true)]
    [InlineData("content=like.hello%", false)]
    [InlineData("content=ilike.hello%", true)]
    [InlineData("content=like.Hell_%", true)]
    [InlineData("content=like.\"Hell_, %\"", true)]
    [InlineData("content=like.Hello", false)]
    [InlineData("content=not.like.Hello%", false)]
    [InlineData("content=match.^H.*d$", true)]
    [InlineData("content=match.^h", false)]
    [InlineData("content=imatch.^h", true)]
    [InlineData("content=not.imatch.^h", false)]
    [InlineData("content=eq.\"Hello, World\"", true)]
    [InlineData("content=eq.\"Hello, \\\"World\"", false)]
    [InlineData("content=in.(\"Hello, World\",x)", true)]
    [InlineData("content=not.in.(\"Hello, World\",x)", false)]
    [InlineData("n=not.eq.5", false)]
    [InlineData("n=not.gt.9", true)]
    [InlineData("n=isdistinct.5", false)]
    [InlineData("n=isdistinct.6", true)]
    [InlineData("n=not.isdistinct.5", true)]
    [InlineData("is_user=is.true", true)]
    [InlineData("is_user=is.false", false)]
    [InlineData("is_user=not.is.true", false)]
    [InlineData("note=is.null", true)]
    [InlineData("note=not.is.null", false)]
    [InlineData("content=not.is.null", true)]
    [InlineData("note=isdistinct.x", true)]
    [InlineData("note=eq.x", false)]
    [InlineData("note=not.eq.x", false)] // NULL = 'x' is NULL, and NOT NULL is still NULL
    [InlineData("note=neq.x", false)]
    [InlineData("content=like.Hello%,n=gte.5,note=is.null", true)]
    public void Operators_negation_and_quoted_values_match_as_realtime_evaluates_them(string filter, bool matches)
    {
        Assert.True(ChangeFilter.TryParse(filter, out var parsed, out var error), error);
        Assert.Equal(matches, parsed.Matches(Messages, ["Hello, World", "t", "5", null]));
    }

    [Theory]
    [InlineData("is_user=is.maybe", "invalid value for is filter")]
    [InlineData("content=nope.x", "Error parsing `filter` params")]
    [InlineData("content=not.x", "Error parsing `filter` params")]
    public void Bad_operators_and_is_values_are_refused(string filter, string message)
    {
        Assert.False(ChangeFilter.TryParse(filter, out _, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void In_takes_at_most_100_values()
    {
        Assert.True(ChangeFilter.TryParse($"n=in.({string.Join(',', Enumerable.Range(0, 100))})", out _, out _));
        Assert.False(ChangeFilter.TryParse($"n=in.({string.Join(',', Enumerable.Range(0, 101))})", out _, out var error));
        Assert.Equal("too many values for `in` filter. Maximum 100", error);
    }

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
