using System.Text.Json;
using System.Text.Json.Nodes;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>The official supabase-js realtime client (tests/interop) against LocalStack.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class RealtimeInteropTests(LocalStackFixture fixture)
{
    private Dictionary<string, string> Env(params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>
        {
            ["API_URL"] = fixture.Stack.ApiUrl.ToString(),
            ["ANON_KEY"] = fixture.Stack.AnonKey,
            ["SERVICE_ROLE_KEY"] = fixture.Stack.ServiceRoleKey,
        };
        foreach (var (k, v) in extra)
        {
            env[k] = v;
        }
        return env;
    }

    private Task<string> RowJsonAsync(string table, Guid id) =>
        RealtimeTestData.ScalarAsync<string>(fixture.Stack, $"select to_jsonb(t)::text from public.{table} t where id = $1", id);

    /// <summary>Waits until the script's subscription <paramref name="key"/> has received at least <paramref name="count"/> events.</summary>
    private static async Task WaitForEventsAsync(Task<NodeScript.Result> run, string progressFile, string key, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (File.Exists(progressFile) && JsonNode.Parse(await File.ReadAllTextAsync(progressFile))?[key]?.GetValue<int>() >= count)
            {
                return;
            }
            if (run.IsCompleted)
            {
                Assert.Fail($"script ended before {key} had {count} events: " + await run);
            }
            Assert.True(DateTime.UtcNow < deadline, $"{key} never had {count} events");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Official_client_receives_exactly_its_own_changes()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var aliceSession = await RealtimeTestData.CreateSessionAsync(stack, alice, "alice main");
        var bobSession = await RealtimeTestData.CreateSessionAsync(stack, bob, "bob main");
        var readyFile = Path.Combine(Path.GetTempPath(), $"rt-ready-{Guid.NewGuid():N}");
        var progressFile = Path.Combine(Path.GetTempPath(), $"rt-progress-{Guid.NewGuid():N}");
        var tokens = JsonSerializer.Serialize(new[]
        {
            new { name = "alice", token = RealtimeTestData.Token(stack, alice), session = aliceSession },
            new { name = "bob", token = RealtimeTestData.Token(stack, bob), session = bobSession },
        });
        var run = NodeScript.RunAsync("realtime-changes.mjs", Env(("TOKENS", tokens), ("READY_FILE", readyFile), ("PROGRESS_FILE", progressFile)), TimeSpan.FromSeconds(90));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(readyFile))
        {
            if (run.IsCompleted)
            {
                Assert.Fail("script ended before READY: " + await run);
            }
            Assert.True(DateTime.UtcNow < deadline, "script never became READY");
            await Task.Delay(50);
        }
        File.Delete(readyFile);

        const string insertMessage = "insert into public.ai_chat_messages (session_id, user_id, content, metadata) values ($1, $2, $3, '{\"model\":\"x\",\"n\":1}') returning id";
        // Insert and update visibility is checked against the row as it is when the change is dispatched (as Supabase
        // does, by primary key): each event is awaited before a later write deletes its row, or it would rightly be dropped.
        var m1 = await RealtimeTestData.ScalarAsync<Guid>(stack, insertMessage, aliceSession, alice, "alice-secret-1");
        var m1Inserted = await RowJsonAsync("ai_chat_messages", m1);
        var m2 = await RealtimeTestData.ScalarAsync<Guid>(stack, insertMessage, bobSession, bob, "bob-only-1");
        var m2Inserted = await RowJsonAsync("ai_chat_messages", m2);
        await WaitForEventsAsync(run, progressFile, "alice.messages", 1);
        await RealtimeTestData.ExecuteAsync(stack, "update public.ai_chat_messages set content = 'alice-secret-1 edited', status = 'streaming' where id = $1", m1);
        var m1Updated = await RowJsonAsync("ai_chat_messages", m1);
        var s2 = await RealtimeTestData.CreateSessionAsync(stack, alice, "second");
        var s2Inserted = await RowJsonAsync("ai_chat_sessions", s2);
        await RealtimeTestData.ExecuteAsync(stack, "update public.ai_chat_sessions set title = 'renamed' where id = $1", s2);
        var s2Updated = await RowJsonAsync("ai_chat_sessions", s2);
        await WaitForEventsAsync(run, progressFile, "alice.sessions", 2);
        await WaitForEventsAsync(run, progressFile, "alice.messages", 2);
        await RealtimeTestData.ExecuteAsync(stack, "delete from public.ai_chat_sessions where id = $1", s2);
        await RealtimeTestData.ExecuteAsync(stack, "delete from public.ai_chat_messages where id = $1", m1);
        foreach (var (user, session) in new[] { (alice, aliceSession), (bob, bobSession) })
        {
            await RealtimeTestData.CreateSessionAsync(stack, user, "END");
            await RealtimeTestData.ScalarAsync<Guid>(stack, insertMessage, session, user, "END");
        }

        var result = await run;
        File.Delete(progressFile);
        Assert.True(result.ExitCode == 0, result.ToString());
        var received = JsonNode.Parse(result.StdOut.Trim().Split('\n')[^1])!["received"]!;

        void Expect(string key, params (string Type, string? New, string? Old)[] expected)
        {
            var events = received[key]!.AsArray();
            Assert.True(events.Count == expected.Length, $"{key}: {events.ToJsonString()}");
            for (var i = 0; i < expected.Length; i++)
            {
                var e = events[i]!;
                Assert.Equal(expected[i].Type, e["eventType"]!.GetValue<string>());
                Assert.Equal("public", e["schema"]!.GetValue<string>());
                Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e["commit_timestamp"]!.GetValue<string>());
                Assert.Null(e["errors"]);
                if (expected[i].New is { } n)
                {
                    Assert.True(JsonNode.DeepEquals(JsonNode.Parse(n), e["new"]), $"{key}[{i}].new: {e["new"]!.ToJsonString()} != {n}");
                }
                if (expected[i].Old is { } o)
                {
                    Assert.True(JsonNode.DeepEquals(JsonNode.Parse(o), e["old"]), $"{key}[{i}].old: {e["old"]!.ToJsonString()} != {o}");
                }
            }
        }

        // The chat tables keep the default replica identity (database/enable_ai_chat_realtime.sql): an update carries no
        // old values, and a delete's old row holds only the key, which a filter on session_id never matches.
        Expect("alice.messages",
            ("INSERT", m1Inserted, "{}"),
            ("UPDATE", m1Updated, "{}"),
            ("INSERT", null, null));
        Expect("bob.messages", ("INSERT", m2Inserted, "{}"), ("INSERT", null, null));
        Expect("alice.sessions",
            ("INSERT", s2Inserted, "{}"),
            ("UPDATE", s2Updated, "{}"),
            ("DELETE", "{}", $$"""{"id":"{{s2}}"}"""),
            ("INSERT", null, null));
        // Deletes cannot be checked against RLS: an unfiltered subscriber gets the key only, never content.
        Expect("bob.sessions", ("DELETE", "{}", $$"""{"id":"{{s2}}"}"""), ("INSERT", null, null));
        Assert.DoesNotContain("alice main", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("\"second\"", received["bob.sessions"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("alice-secret", received["bob.messages"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("bob-only", received["alice.messages"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Official_clients_broadcast_track_presence_and_are_refused_with_an_expired_token()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var result = await NodeScript.RunAsync("realtime-broadcast.mjs", Env(
            ("TOKEN_A", RealtimeTestData.Token(stack, alice)),
            ("TOKEN_B", RealtimeTestData.Token(stack, bob)),
            ("EXPIRED_TOKEN", RealtimeTestData.Token(stack, alice, TimeSpan.FromSeconds(-10)))));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("\"ok\":true", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Official_clients_relay_on_a_private_stream_topic_and_another_user_gets_channel_error()
    {
        var stack = fixture.Stack;
        var alice = await RealtimeTestData.CreateUserAsync(stack);
        var bob = await RealtimeTestData.CreateUserAsync(stack);
        var result = await NodeScript.RunAsync("realtime-private.mjs", Env(
            ("TOKEN_A", RealtimeTestData.Token(stack, alice)),
            ("USER_A", alice.ToString("D")),
            ("TOKEN_B", RealtimeTestData.Token(stack, bob)),
            ("USER_B", bob.ToString("D"))));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("\"ok\":true", result.StdOut, StringComparison.Ordinal);
    }
}
