using System.Collections.Concurrent;
using System.Globalization;
using System.Reactive.Concurrency;
using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.Client.Tests.Realtime;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.Client.Tests.BadInput;

/// <summary>
/// Hostile frames from a scripted server (invalid JSON, wrong types, unknown events, missing fields, huge
/// payloads, refs matching nothing, binary garbage) between valid changes: the client stays connected and
/// joined, logs what it dropped, nothing throws on a background thread, and the MessageStore it feeds holds
/// exactly the valid changes in order.
/// </summary>
[Collection(Name)]
public sealed class ServerFrameFuzzTests(ITestOutputHelper output) : RealtimeTestBase
{
    // Alone: unobserved task exceptions are reported process-wide, so another test's would count against this one.
    public const string Name = "alone: unobserved task exceptions";

    private static readonly Guid User = Guid.Parse("8d0f7a4e-0000-4000-8000-00000000000a");
    private static readonly Guid Session = Guid.Parse("8d0f7a4e-0000-4000-8000-00000000000b");
    private const int MaxMessageSize = 256 * 1024;

    [Theory]
    [InlineData(1)]
    [InlineData(77)]
    [InlineData(20261125)]
    public async Task Hostile_frames_never_break_the_client_or_corrupt_the_store(int seed)
    {
        // Earlier tests' garbage is finalized first, so what is counted comes from this run.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var unobserved = new ConcurrentQueue<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) => unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            await RunAsync(seed);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.True(unobserved.IsEmpty, "unobserved task exceptions:\n" + string.Join("\n---\n", unobserved));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }
    }

    private async Task RunAsync(int seed)
    {
        var client = NewClient(o => o.MaxMessageSize = MaxMessageSize);
        var http = new FakeRestDatabase();
        using var httpClient = new HttpClient(http);
        var rest = new PostgrestClient(httpClient, new PostgrestClientOptions { Url = new Uri("http://rest.invalid"), ApiKey = "anon" });
        var states = new ConcurrentQueue<ConnectionState>();
        using var _ = client.ConnectionStates.Subscribe(s => states.Enqueue(s.State));

        // The store's join: answer with server ids for its bindings.
        // The token relay's own join would be left pending by this scripted server, and hostile replies that
        // happen to carry its ref would answer it rather than count as drops: this test is about the change feed.
        var options = new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance, RelayStreamedTokens = false };
        var creating = MessageStore.CreateAsync(rest, client, User, options, Logs);
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        var bindings = join.Payload.GetProperty("config").GetProperty("postgres_changes").EnumerateArray().ToList();
        var ids = Enumerable.Range(101, bindings.Count).ToArray();
        await AcceptJoinAsync(connection, join, "{\"postgres_changes\":[" + string.Join(",", bindings.Select((b, i) =>
            $"{{\"id\":{ids[i]},\"event\":{b.GetProperty("event").GetRawText()},\"schema\":\"public\",\"table\":{b.GetProperty("table").GetRawText()},\"filter\":{b.GetProperty("filter").GetRawText()}}}")) + "]}");
        await using var store = await creating.WaitAsync(TimeSpan.FromSeconds(10));
        var allIds = "[" + string.Join(",", ids) + "]";
        string IdsOf(string table) => "[" + string.Join(",", bindings.Select((b, i) => (b, i)).Where(x => x.b.GetProperty("table").GetString() == table).Select(x => ids[x.i])) + "]";
        var sessionIds = IdsOf("ai_chat_sessions");
        var messageIds = IdsOf("ai_chat_messages");

        var random = new Random(seed);
        var expected = new List<string>();
        var time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        http.SetSession(SessionRow(time));
        await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_sessions", SessionRow(time), sessionIds));
        var hostile = 0;
        for (var i = 0; i < 30; i++)
        {
            for (var n = random.Next(3, 9); n > 0; n--)
            {
                await SendHostileAsync(connection, join, random, random.Next(2) == 0 ? messageIds : allIds);
                hostile++;
            }

            // Valid messages, sometimes out of order by created_at (the store must sort them).
            var created = time.AddSeconds(10 + ((i % 2 == 0) ? i : i - 2 + 0.5));
            var content = $"valid {i} \"quoted\" ünïcode 😀";
            expected.Add($"{created:O}|{content}");
            var row = MessageRow(Guid.NewGuid(), content, created);
            http.AddMessage(row); // committed, then streamed
            await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", row, messageIds));
        }

        // A valid event after all the garbage is still delivered, and the store holds exactly the valid ones in order.
        var last = time.AddHours(1);
        expected.Add($"{last:O}|the end, live");
        var lastId = Guid.NewGuid();
        var lastRow = MessageRow(lastId, "the end", last);
        http.AddMessage(lastRow);
        await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", lastRow, messageIds));
        // Then an update the REST database never sees: it can only arrive on the socket, after every frame before it
        // (the rows above may also come by a refetch, and did on a loaded machine while the receive loop was still
        // reading the garbage, so the drops below were counted too early).
        var liveRow = MessageRow(lastId, "the end, live", last, updated: last.AddSeconds(1));
        await connection.PushAsync(join, "postgres_changes", Change("UPDATE", "ai_chat_messages", liveRow, messageIds));
        await Eventually.TrueAsync(() => store.GetSessionById(Session)?.Messages.Any(m => m.Content == "the end, live") == true, "the last valid event arrives");

        expected.Sort(StringComparer.Ordinal);
        var actual = store.GetSessionById(Session)!.Messages.Select(m => $"{m.CreatedAt:O}|{m.Content}").ToList();
        Assert.Equal(expected, actual);
        Assert.Single(store.GetSessions());
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.DoesNotContain(ConnectionState.Disconnected, states.SkipWhile(s => s != ConnectionState.Connected)); // never dropped once connected
        Assert.True(store.IsRealtimeConnected);
        Assert.Equal(1, Server.ConnectionCount);
        // The dropped frames were logged (malformed frames, unknown refs/topics, unusable changes).
        var dropped = Logs.Entries.Count(e => e.Id.Id is 5006 or 5007 or 5008 or 5014 or 5028 or 5032 or 5033 or 5031 or 6012);
        output.WriteLine($"seed {seed}: {hostile} hostile frames, {dropped} drop/ignore log events, {store.Current.Stats.Reconciliations} refetches, {expected.Count} valid messages kept in order");
        Assert.True(dropped >= hostile / 3, $"{dropped} logged drops for {hostile} hostile frames; log events by id: " +
            string.Join(", ", Logs.Entries.GroupBy(e => e.Id.Id).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}")));
        Assert.DoesNotContain(Logs.Entries, e => e.Id.Id is 5009 or 5012);
    }

    private static async Task SendHostileAsync(FakeConnection connection, ServerFrame join, Random random, string ids)
    {
        string Str(string s) => ServerFrame.JsonEncode(s);
        var topic = Str(join.Topic);
        var jr = Str(join.Ref!);
        switch (random.Next(22))
        {
            case 0: await connection.SendTextAsync(Pick(random, ["[", "{", "not json", "[null", "\"str\"", "123", "[]", "{}", "[1,2,3,4,5]", "null", "[[[[[[[[[[", "\u0000", ""])); break;
            case 1: await connection.SendTextAsync($"[{jr},null,{topic},\"postgres_changes\"]"); break; // missing payload
            case 2: await connection.SendTextAsync($"[{jr},null,{topic},\"postgres_changes\",\"a string\"]"); break;
            case 3: await connection.SendTextAsync($"[1,2,3,4,5]"); break;
            case 4: await connection.SendTextAsync($"[{jr},null,{topic},42,{{}}]"); break; // event of the wrong type
            case 5: await connection.SendAsync(join.Ref, null, join.Topic, Pick(random, ["whatever", "PHX_REPLY", "postgres_change", "presence_diff", "presence_state", "broadcast", "system", ""]), Pick(random, ["{}", "[]", "null", "{\"x\":1}", "{\"joins\":5}"])); break;
            case 6: await connection.SendAsync(join.Ref, Pick(random, ["424242", "0", "-1", "abc"]), join.Topic, "phx_reply", Pick(random, ["{\"status\":\"ok\",\"response\":{}}", "{\"status\":\"error\"}", "{}", "7"])); break; // ref matching nothing
            case 7: await connection.SendAsync("999", null, join.Topic, Pick(random, ["phx_close", "phx_error", "postgres_changes"]), "{}"); break; // stale join_ref
            case 8: await connection.SendAsync(null, null, "realtime:nobody", Pick(random, ["phx_close", "phx_error", "postgres_changes", "broadcast"]), "{}"); break; // unknown topic
            case 9: await connection.PushAsync(join, "postgres_changes", "{\"ids\":" + ids + "}"); break; // no data
            case 10: await connection.PushAsync(join, "postgres_changes", "{\"ids\":\"x\",\"data\":[]}"); break;
            case 11: await connection.PushAsync(join, "postgres_changes", "{\"ids\":[\"a\",null],\"data\":{\"table\":5}}"); break;
            case 12: await connection.PushAsync(join, "postgres_changes", Change(Pick(random, ["INSERT", "UPDATE", "upsert", "5"]), "ai_chat_messages", "\"not an object\"", ids)); break;
            case 13: await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", "{\"id\":123,\"session_id\":\"not-a-uuid\",\"content\":{\"o\":1},\"created_at\":\"yesterday\"}", ids)); break;
            case 14: await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", $"{{\"id\":\"{Guid.NewGuid()}\",\"session_id\":\"{Session}\",\"user_id\":\"{User}\",\"content\":null,\"is_user\":\"yes\",\"status\":\"weird\",\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\"}}", ids)); break;
            case 15: await connection.PushAsync(join, "postgres_changes", Change("DELETE", "ai_chat_messages", "{}", ids, old: "{\"id\":\"nope\"}")); break;
            case 16: await connection.PushAsync(join, "postgres_changes", Change("INSERT", "ai_chat_messages", "{}", "[999999]")); break; // ids matching no binding
            case 17: // huge, just under the client's limit: an unknown event on the channel
                await connection.SendAsync(join.Ref, null, join.Topic, "huge", "{\"x\":\"" + new string('h', MaxMessageSize - 200) + "\"}"); break;
            case 18: await connection.SendBinaryAsync(RandomBytes(random, random.Next(1, 300))); break;
            case 19: await connection.SendBinaryAsync([(byte)random.Next(0, 5), .. RandomBytes(random, random.Next(0, 40))]); break; // plausible kind byte
            case 20: await connection.SendTextAsync(Encoding.Latin1.GetString(RandomBytes(random, 64))); break;
            default: await connection.PushAsync(join, "postgres_changes", Change("UPDATE", "ai_chat_sessions", "{\"id\":\"" + Session + "\",\"title\":7,\"is_active\":\"maybe\"}", ids)); break;
        }
    }

    private static byte[] RandomBytes(Random random, int n)
    {
        var bytes = new byte[n];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Pick(Random random, string[] items) => items[random.Next(items.Length)];

    private static string Change(string type, string table, string record, string ids, string old = "{}") =>
        "{\"ids\":" + ids + ",\"data\":{\"schema\":\"public\",\"table\":\"" + table + "\",\"commit_timestamp\":\"2026-01-01T00:00:00Z\",\"type\":\"" + type
        + "\",\"record\":" + record + ",\"old_record\":" + old + ",\"columns\":[],\"errors\":null}}";

    private static string SessionRow(DateTimeOffset at) =>
        $"{{\"id\":\"{Session}\",\"user_id\":\"{User}\",\"title\":\"fuzzed\",\"is_active\":true,\"created_at\":\"{at:O}\",\"updated_at\":\"{at:O}\"}}";

    private static string MessageRow(Guid id, string content, DateTimeOffset at, DateTimeOffset? updated = null) =>
        $"{{\"id\":\"{id}\",\"session_id\":\"{Session}\",\"user_id\":\"{User}\",\"content\":{JsonSerializer.Serialize(content)},\"is_user\":true,\"status\":\"complete\",\"created_at\":\"{at.ToString("O", CultureInfo.InvariantCulture)}\",\"updated_at\":\"{(updated ?? at).ToString("O", CultureInfo.InvariantCulture)}\",\"metadata\":null}}";
}

[CollectionDefinition(ServerFrameFuzzTests.Name, DisableParallelization = true)]
public sealed class UnobservedExceptionsCollection;
