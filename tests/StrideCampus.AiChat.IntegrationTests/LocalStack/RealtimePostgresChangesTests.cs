using System.Text.Json;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

[Collection(LocalStackCollection.Name)]
public sealed class RealtimePostgresChangesTests(LocalStackFixture fixture)
{
    private async Task<(PhoenixTestSocket Socket, int Id)> SubscribeAsync(string token, string table, string @event = "*", string? filter = null, string vsn = "2.0.0")
    {
        var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey, vsn);
        object change = filter is null ? new { @event, schema = "public", table } : new { @event, schema = "public", table, filter };
        await socket.PushAsync("1", "1", "realtime:db", "phx_join", new
        {
            config = new { broadcast = new { ack = false, self = false }, presence = new { key = "", enabled = false }, postgres_changes = new[] { change }, @private = false },
            access_token = token,
        });
        var reply = Parts(await socket.WaitForReplyAsync("1")).Payload;
        Assert.Equal("ok", reply.GetProperty("status").GetString());
        var binding = reply.GetProperty("response").GetProperty("postgres_changes")[0];
        Assert.Equal(table, binding.GetProperty("table").GetString());
        Assert.Equal(@event, binding.GetProperty("event").GetString());
        if (filter is not null)
        {
            Assert.Equal(filter, binding.GetProperty("filter").GetString());
        }
        var system = Parts(await socket.WaitForEventAsync("system")).Payload;
        Assert.Equal("""{"extension":"postgres_changes","status":"ok","message":"Subscribed to PostgreSQL","channel":"db"}""", system.GetRawText());
        return (socket, binding.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Insert_update_delete_reach_the_owner_with_Supabase_payloads()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user);
        var (socket, id) = await SubscribeAsync(RealtimeTestData.Token(stack, user), "ai_chat_messages", filter: $"session_id=eq.{session}");
        await using var owned = socket;
        var (deletes, _) = await SubscribeAsync(RealtimeTestData.Token(stack, user), "ai_chat_messages", "DELETE");
        await using var ownedDeletes = deletes;

        var message = await RealtimeTestData.ScalarAsync<Guid>(stack,
            "insert into public.ai_chat_messages (session_id, user_id, content, metadata) values ($1, $2, 'hi', '{\"k\":[1,2]}') returning id", session, user);
        var insert = Parts(await socket.WaitForEventAsync("postgres_changes")).Payload;
        Assert.Equal(id, insert.GetProperty("ids")[0].GetInt32());
        var data = insert.GetProperty("data");
        Assert.Equal("public", data.GetProperty("schema").GetString());
        Assert.Equal("ai_chat_messages", data.GetProperty("table").GetString());
        Assert.Equal("INSERT", data.GetProperty("type").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", data.GetProperty("commit_timestamp").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("errors").ValueKind);
        Assert.False(data.TryGetProperty("old_record", out _));
        var columns = data.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString()!);
        Assert.Equal("uuid", columns["id"]);
        Assert.Equal("bool", columns["is_user"]);
        Assert.Equal("timestamptz", columns["created_at"]);
        Assert.Equal("jsonb", columns["metadata"]);
        var record = data.GetProperty("record");
        Assert.Equal(message.ToString(), record.GetProperty("id").GetString());
        Assert.Equal(session.ToString(), record.GetProperty("session_id").GetString());
        Assert.Equal("hi", record.GetProperty("content").GetString());
        Assert.True(record.GetProperty("is_user").GetBoolean());
        Assert.Equal("""{"k":[1,2]}""", record.GetProperty("metadata").GetRawText());
        var createdText = await RealtimeTestData.ScalarAsync<string>(stack, "select to_jsonb(created_at) #>> '{}' from public.ai_chat_messages where id = $1", message);
        Assert.Equal(createdText, record.GetProperty("created_at").GetString());

        await RealtimeTestData.ExecuteAsync(stack, "update public.ai_chat_messages set content = 'hi there' where id = $1", message);
        data = Parts(await socket.WaitForEventAsync("postgres_changes")).Payload.GetProperty("data");
        Assert.Equal("UPDATE", data.GetProperty("type").GetString());
        Assert.Equal("hi there", data.GetProperty("record").GetProperty("content").GetString());
        // The default replica identity (database/enable_ai_chat_realtime.sql): no old values in the WAL for an update.
        Assert.Equal("{}", data.GetProperty("old_record").GetRawText());

        // A delete's old row holds only the key: the session_id filter cannot match it, an unfiltered binding gets it.
        await RealtimeTestData.ExecuteAsync(stack, "delete from public.ai_chat_messages where id = $1", message);
        data = Parts(await deletes.WaitForEventAsync("postgres_changes")).Payload.GetProperty("data");
        Assert.Equal("DELETE", data.GetProperty("type").GetString());
        Assert.Equal($$"""{"id":"{{message}}"}""", data.GetProperty("old_record").GetRawText());
        Assert.False(data.TryGetProperty("record", out _));
        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'after')", session, user);
        data = Parts(await socket.WaitForEventAsync("postgres_changes")).Payload.GetProperty("data");
        Assert.Equal("INSERT", data.GetProperty("type").GetString()); // the filtered binding skipped the delete
    }

    [Fact]
    public async Task Other_users_rows_are_never_delivered_and_filters_apply()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var aliceSession = await RealtimeTestData.CreateSessionAsync(stack, alice);
        var (bobAll, _) = await SubscribeAsync(RealtimeTestData.Token(stack, bob), "ai_chat_messages", "INSERT");
        var (bobFiltered, _) = await SubscribeAsync(RealtimeTestData.Token(stack, bob), "ai_chat_messages", "*", $"session_id=eq.{aliceSession}", "1.0.0");
        var (aliceInserts, _) = await SubscribeAsync(RealtimeTestData.Token(stack, alice), "ai_chat_messages", "INSERT", $"session_id=in.({Guid.NewGuid()},{aliceSession})");
        await using var b1 = bobAll;
        await using var b2 = bobFiltered;
        await using var a1 = aliceInserts;

        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'secret')", aliceSession, alice);
        var bobSession = await RealtimeTestData.CreateSessionAsync(stack, bob);
        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'bob-only')", bobSession, bob);

        Assert.Equal("secret", Parts(await aliceInserts.WaitForEventAsync("postgres_changes")).Payload.GetProperty("data").GetProperty("record").GetProperty("content").GetString());
        // Commit order: Bob's own insert arrives, and Alice's earlier one never did.
        Assert.Equal("bob-only", Parts(await bobAll.WaitForEventAsync("postgres_changes")).Payload.GetProperty("data").GetProperty("record").GetProperty("content").GetString());
        Assert.DoesNotContain(bobAll.Received, m => m.GetRawText().Contains("secret", StringComparison.Ordinal));

        // The filtered subscription (on Alice's session) sees nothing of Alice's insert either.
        await bobFiltered.PushAsync(null, "hb", "phoenix", "heartbeat", new { });
        await bobFiltered.WaitForReplyAsync("hb");
        Assert.DoesNotContain(bobFiltered.Received, m => Parts(m).Event == "postgres_changes");
    }

    [Fact]
    public async Task Bad_subscription_params_get_a_system_error()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey);
        await socket.PushAsync("1", "1", "realtime:bad", "phx_join", new
        {
            config = new { postgres_changes = new[] { new { @event = "*", schema = "public", table = "no_such_table" } } },
            access_token = RealtimeTestData.Token(fixture.Stack, user),
        });
        Assert.Equal("ok", Parts(await socket.WaitForReplyAsync("1")).Payload.GetProperty("status").GetString());
        var system = Parts(await socket.WaitForEventAsync("system")).Payload;
        Assert.Equal("error", system.GetProperty("status").GetString());
        Assert.StartsWith("Unable to subscribe to changes with given parameters.", system.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_subscribers_are_checked_in_parallel_batches_and_only_the_owner_receives()
    {
        var stack = fixture.Stack;
        const int Users = 80;
        var users = new List<Guid>();
        for (var i = 0; i < Users; i++)
        {
            users.Add(await RealtimeTestData.CreateUserAsync(stack));
        }
        var owner = users[57];
        var session = await RealtimeTestData.CreateSessionAsync(stack, owner);
        await using var socket = await ConnectAsync(stack.ApiUrl, stack.AnonKey);
        for (var i = 0; i < Users; i++)
        {
            await socket.PushAsync($"j{i}", $"j{i}", $"realtime:fan-{i}", "phx_join", new
            {
                config = new { postgres_changes = new[] { new { @event = "INSERT", schema = "public", table = "ai_chat_messages" } } },
                access_token = RealtimeTestData.Token(stack, users[i]),
            });
        }
        await socket.WaitForReplyAsync($"j{Users - 1}");
        // Changes flow from "Subscribed to PostgreSQL" (later than the reply when LocalStack delays it, as hosted Supabase does).
        static bool OwnerSubscribed(System.Text.Json.JsonElement m) => Parts(m).Event == "system" && Parts(m).Topic == "realtime:fan-57";
        if (!socket.Received.Any(OwnerSubscribed))
        {
            await socket.WaitForAsync(OwnerSubscribed);
        }
        await RealtimeTestData.ExecuteAsync(stack, "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, 'fan-out')", session, owner);
        var delivered = await socket.WaitForEventAsync("postgres_changes");
        Assert.Equal("realtime:fan-57", Parts(delivered).Topic);
        await socket.PushAsync(null, "hb", "phoenix", "heartbeat", new { });
        await socket.WaitForReplyAsync("hb");
        Assert.Single(socket.Received, m => Parts(m).Event == "postgres_changes");
    }

    [Fact]
    public async Task Column_values_are_the_JSON_that_to_jsonb_gives()
    {
        var stack = fixture.Stack;
        await RealtimeTestData.ExecuteAsync(stack, """
            create table if not exists public.realtime_types_probe (
              id bigint primary key, i2 int2, i4 int4, n numeric, f8 float8, nan float8, b bool, t text, u uuid,
              jb jsonb, js json, tz timestamptz, ts timestamp, d date, tm time, ta text[], ia int4[], nul text);
            alter table public.realtime_types_probe replica identity full;
            grant select on public.realtime_types_probe to anon, authenticated;
            """);
        await RealtimeTestData.ExecuteAsync(stack, """
            do $$ begin
              if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'realtime_types_probe') then
                alter publication supabase_realtime add table public.realtime_types_probe;
              end if;
            end $$;
            """);
        await using var socket = await ConnectAsync(stack.ApiUrl, stack.AnonKey);
        await socket.PushAsync("1", "1", "realtime:types", "phx_join", new
        {
            config = new { postgres_changes = new[] { new { @event = "INSERT", schema = "public", table = "realtime_types_probe", filter = "id=gte.100" } } },
        });
        await socket.WaitForReplyAsync("1");
        await socket.WaitForEventAsync("system");
        var id = Random.Shared.NextInt64(100, long.MaxValue);
        await RealtimeTestData.ExecuteAsync(stack, """
            insert into public.realtime_types_probe values ($1, -3, 2147483647, 12.50, 1.5e-7, 'NaN', false, 'quote " and \ backslash', gen_random_uuid(),
              '{"b": [1, {"c": null}], "a": "x"}', '{"z":  1, "z": 2}', '2024-02-29 23:59:59.123456+05:30', '2024-01-02 03:04:05',
              '2024-01-02', '12:34:56.5', '{a,"b,c",NULL,"d\"e"}', '{1,2,3}', null)
            """, id);
        var record = Parts(await socket.WaitForEventAsync("postgres_changes")).Payload.GetProperty("data").GetProperty("record");
        var expected = await RealtimeTestData.ScalarAsync<string>(stack, "select to_jsonb(r)::text from public.realtime_types_probe r where id = $1", id);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(expected), System.Text.Json.Nodes.JsonNode.Parse(record.GetRawText())),
            $"expected {expected}\nactual   {record.GetRawText()}");
    }
}
