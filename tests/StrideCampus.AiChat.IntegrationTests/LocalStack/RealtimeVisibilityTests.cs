using System.Text.Json;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// Supabase decides whether a subscriber sees an insert or update by looking the row up by primary key, as the
/// subscriber, when it polls the change (supabase/realtime priv/repo/tenant_schema/realtime/functions/
/// build_prepared_statement_sql.sql, apply_rls.sql): a row gone or changed by then is judged as it is now.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class RealtimeVisibilityTests(LocalStackFixture fixture)
{
    private async Task<PhoenixTestSocket> JoinAsync(Guid user, string topic)
    {
        var stack = fixture.Stack;
        var socket = await ConnectAsync(stack.ApiUrl, stack.AnonKey);
        await socket.PushAsync("1", "1", topic, "phx_join", new
        {
            config = new { postgres_changes = new[] { new { @event = "*", schema = "public", table = "ai_chat_messages" } } },
            access_token = RealtimeTestData.Token(stack, user),
        });
        await socket.WaitForReplyAsync("1");
        await socket.WaitForEventAsync("system");
        return socket;
    }

    private static string? Content(JsonElement message) =>
        Parts(message) is { Event: "postgres_changes" } parts
        && parts.Payload.GetProperty("data").TryGetProperty("record", out var record)
        && record.TryGetProperty("content", out var content) ? content.GetString() : null;

    [Fact]
    public async Task An_insert_whose_row_is_gone_when_it_is_checked_is_not_delivered()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var aliceSession = await RealtimeTestData.CreateSessionAsync(stack, alice);
        await using var aliceSocket = await JoinAsync(alice, "realtime:visibility-a");
        await using var bobSocket = await JoinAsync(bob, "realtime:visibility-b");

        // Inserted and deleted in one transaction: when the insert is checked, its row no longer exists.
        await RealtimeTestData.ExecuteAsync(stack, """
            do $$ begin
              insert into public.ai_chat_messages (session_id, user_id, content) values ('{0}', '{1}', 'gone at once');
              delete from public.ai_chat_messages where content = 'gone at once';
            end $$
            """.Replace("{0}", aliceSession.ToString(), StringComparison.Ordinal).Replace("{1}", alice.ToString(), StringComparison.Ordinal));
        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'stays')", aliceSession, alice);

        await aliceSocket.WaitForAsync(m => Content(m) == "stays");
        Assert.DoesNotContain(aliceSocket.Received, m => Content(m) == "gone at once");
        // Bob sees none of Alice's rows, whatever their fate.
        Assert.DoesNotContain(bobSocket.Received, m => Content(m) is not null);
    }
}
