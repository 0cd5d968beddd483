using System.Text.Json;
using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Realtime;
using StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>The chat feed fed with frames in the exact shape Supabase Realtime sends (type/record/old_record, ids, columns).</summary>
public class RealtimeChatChangeFeedWireTests : RealtimeTestBase
{
    private static readonly Guid UserId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    private static string Frame(long id, string type, string record, string errors) =>
        "{\"ids\":[" + id + "],\"data\":{\"schema\":\"public\",\"table\":\"ai_chat_messages\",\"commit_timestamp\":\"2026-11-25T04:00:01.123Z\","
        + "\"type\":\"" + type + "\",\"columns\":[{\"name\":\"id\",\"type\":\"uuid\"},{\"name\":\"content\",\"type\":\"text\"}],"
        + "\"record\":" + record + ",\"errors\":" + errors + "}}";

    private const string FullRecord = """
        {"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","session_id":"11111111-2222-3333-4444-555555555555",
         "user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","content":"hello","is_user":false,"status":"complete",
         "created_at":"2026-11-25T04:00:00.123456+00:00","updated_at":"2026-11-25T04:00:01.1+00:00","metadata":{"model":"x"}}
        """;

    private const string TruncatedRecord = """
        {"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","session_id":"11111111-2222-3333-4444-555555555555",
         "user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","is_user":false,"status":"complete",
         "created_at":"2026-11-25T04:00:00.123456+00:00","updated_at":"2026-11-25T04:00:01.1+00:00","metadata":{}}
        """;

    [Fact]
    public async Task A_payload_too_large_change_asks_for_a_refetch_instead_of_emitting_a_row_without_content()
    {
        var client = NewClient();
        await using var feed = new RealtimeChatChangeFeed(client, UserId, null, null);
        var changes = new Recorder<ChatChange>();
        var refetches = new Recorder<long>();
        using var s1 = feed.Changes.Subscribe(changes);
        using var s2 = feed.Resubscribed.Subscribe(refetches);

        var start = feed.StartAsync(CancellationToken.None);
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        // Supabase echoes each requested binding with an id.
        var bindings = JsonNode.Parse(join.Payload.GetProperty("config").GetProperty("postgres_changes").GetRawText())!.AsArray();
        for (var i = 0; i < bindings.Count; i++)
        {
            bindings[i]!["id"] = 100 + i;
        }

        await AcceptJoinAsync(connection, join, "{\"postgres_changes\":" + bindings.ToJsonString() + "}");
        await start.WaitAsync(TimeSpan.FromSeconds(10));
        var messagesId = 100 + bindings.Select((b, i) => (b, i)).Single(x => x.b!["table"]!.GetValue<string>() == "ai_chat_messages").i;

        await connection.PushAsync(join, "postgres_changes", Frame(messagesId, "UPDATE", TruncatedRecord, "[\"Error 413: Payload Too Large\"]"));
        await refetches.WaitCountAsync(1);

        await connection.PushAsync(join, "postgres_changes", Frame(messagesId, "UPDATE", FullRecord, "null"));
        await changes.WaitCountAsync(1);
        var message = Assert.IsType<MessageChange>(Assert.Single(changes.Items)).Message;
        Assert.Equal("hello", message.Content);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 4, 0, 0, TimeSpan.Zero).AddTicks(1234560), message.CreatedAt);
        Assert.Equal("x", message.Metadata!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_observer_that_waits_for_another_thread_disposing_the_feed_does_not_deadlock()
    {
        var client = NewClient();
        var feed = new RealtimeChatChangeFeed(client, UserId, null, null);
        var observed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var s1 = feed.Changes.Subscribe(_ =>
        {
            // Like Dispatcher.Invoke onto a UI thread that is disposing the feed.
            var dispose = Task.Run(async () => await feed.DisposeAsync());
            observed.TrySetResult(dispose.Wait(TimeSpan.FromSeconds(3)));
        });

        var start = feed.StartAsync(CancellationToken.None);
        var connection = await Server.AcceptAsync();
        var join = await connection.ExpectAsync("phx_join");
        var bindings = JsonNode.Parse(join.Payload.GetProperty("config").GetProperty("postgres_changes").GetRawText())!.AsArray();
        for (var i = 0; i < bindings.Count; i++)
        {
            bindings[i]!["id"] = 100 + i;
        }

        await AcceptJoinAsync(connection, join, "{\"postgres_changes\":" + bindings.ToJsonString() + "}");
        await start.WaitAsync(TimeSpan.FromSeconds(10));
        var messagesId = 100 + bindings.Select((b, i) => (b, i)).Single(x => x.b!["table"]!.GetValue<string>() == "ai_chat_messages").i;

        await connection.PushAsync(join, "postgres_changes", Frame(messagesId, "INSERT", FullRecord, "[]"));
        Assert.True(await observed.Task.WaitAsync(TimeSpan.FromSeconds(10)), "the other thread could not dispose the feed");
    }
}
