using System.Text.Json;
using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat;

public class ChatModelJsonTests
{
    [Fact]
    public void Message_row_from_the_database_deserializes_with_snake_case_columns()
    {
        const string json = """
            {"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","session_id":"11111111-2222-3333-4444-555555555555",
             "user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","content":"hi","is_user":false,"status":"streaming",
             "created_at":"2026-11-25T04:00:00.123456+00:00","updated_at":"2026-11-25T04:00:01+00:00","metadata":{"model":"x"}}
            """;
        var m = JsonSerializer.Deserialize(json, ChatJsonContext.Default.ChatMessage)!;
        Assert.Equal(Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"), m.Id);
        Assert.Equal(Guid.Parse("11111111-2222-3333-4444-555555555555"), m.SessionId);
        Assert.False(m.IsUser);
        Assert.Equal(MessageStatus.Streaming, m.Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 4, 0, 0, TimeSpan.Zero).AddTicks(1234560), m.CreatedAt);
        Assert.Equal("x", m.Metadata!["model"]!.GetValue<string>());
    }

    [Fact]
    public void Insert_payload_omits_database_defaults_and_spells_status_in_lower_case()
    {
        var m = new ChatMessage(Guid.NewGuid(), Guid.NewGuid(), Guid.Empty, "hello", true, MessageStatus.Complete, default, default, null);
        var node = JsonNode.Parse(JsonSerializer.Serialize(m, ChatJsonContext.Default.ChatMessage))!.AsObject();
        Assert.Equal("complete", node["status"]!.GetValue<string>());
        Assert.True(node["is_user"]!.GetValue<bool>());
        Assert.False(node.ContainsKey("created_at"));
        Assert.False(node.ContainsKey("updated_at"));
        Assert.False(node.ContainsKey("user_id"));
        Assert.False(node.ContainsKey("metadata"));
        Assert.Equal(["id", "session_id", "content", "is_user", "status"], node.Select(p => p.Key).ToArray());
    }

    [Theory]
    [InlineData(MessageStatus.Pending, "pending")]
    [InlineData(MessageStatus.Streaming, "streaming")]
    [InlineData(MessageStatus.Complete, "complete")]
    [InlineData(MessageStatus.Error, "error")]
    [InlineData(MessageStatus.Stopped, "stopped")]
    public void Status_names_match_the_database_check_constraint(MessageStatus status, string wire)
    {
        Assert.Equal(wire, MessageStatusNames.ToWire(status));
        Assert.True(MessageStatusNames.TryFromWire(System.Text.Encoding.UTF8.GetBytes(wire), out var parsed));
        Assert.Equal(status, parsed);
        var m = new ChatMessage(Guid.NewGuid(), Guid.NewGuid(), Guid.Empty, "", true, status, default, default, null);
        Assert.Contains($"\"status\":\"{wire}\"", JsonSerializer.Serialize(m, ChatJsonContext.Default.ChatMessage), StringComparison.Ordinal);
    }

    [Fact]
    public void Session_with_embedded_messages_deserializes()
    {
        const string json = """
            [{"id":"11111111-2222-3333-4444-555555555555","user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","title":"T",
              "is_active":true,"created_at":"2026-11-25T04:00:00+00:00","updated_at":"2026-11-25T04:00:00+00:00",
              "ai_chat_messages":[{"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","session_id":"11111111-2222-3333-4444-555555555555",
              "user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","content":"a","is_user":true,"status":"complete",
              "created_at":"2026-11-25T04:00:00+00:00","updated_at":"2026-11-25T04:00:00+00:00","metadata":{}}]}]
            """;
        var rows = JsonSerializer.Deserialize(json, ChatJsonContext.Default.IReadOnlyListChatSessionRow)!;
        var row = Assert.Single(rows);
        Assert.True(row.IsActive);
        Assert.Equal("T", row.ToSession().Title);
        Assert.Equal("a", Assert.Single(row.AiChatMessages!).Content);
    }

    [Fact]
    public void Session_insert_payload_keeps_is_active_false_and_omits_timestamps()
    {
        var s = new ChatSession(Guid.NewGuid(), Guid.NewGuid(), "t", false, default, default);
        var node = JsonNode.Parse(JsonSerializer.Serialize(s, ChatJsonContext.Default.ChatSession))!.AsObject();
        Assert.False(node["is_active"]!.GetValue<bool>());
        Assert.False(node.ContainsKey("created_at"));
        Assert.True(node.ContainsKey("user_id"));
    }
}
