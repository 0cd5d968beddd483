using System.Text.Json;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Tests.Chat;

public class RealtimeChatChangeFeedTests
{
    private const string SessionRow = """
        {"id":"11111111-2222-3333-4444-555555555555","user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","title":"T",
         "is_active":true,"created_at":"2026-11-25T04:00:00.000001+00:00","updated_at":"2026-11-25T04:00:00.000002+00:00"}
        """;

    private const string MessageRow = """
        {"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","session_id":"11111111-2222-3333-4444-555555555555",
         "user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","content":"hi","is_user":false,"status":"streaming",
         "created_at":"2026-11-25T04:00:00+00:00","updated_at":"2026-11-25T04:00:01+00:00","metadata":{}}
        """;

    private static PostgresChangeEvent Event(PostgresChangeType type, string table, string? @new, string? old) => new(
        type, "public", table, DateTimeOffset.UtcNow,
        @new is null ? null : JsonDocument.Parse(@new).RootElement,
        old is null ? null : JsonDocument.Parse(old).RootElement,
        []);

    [Fact]
    public void Inserts_and_updates_become_typed_rows()
    {
        var created = RealtimeChatChangeFeed.Map(Event(PostgresChangeType.Insert, "ai_chat_sessions", SessionRow, null), isSession: true)!;
        Assert.Equal(ChatChangeKind.SessionCreated, created.Kind);
        Assert.Equal("T", Assert.IsType<SessionChange>(created).Session.Title);
        Assert.True(((SessionChange)created).Session.IsActive);

        var updated = RealtimeChatChangeFeed.Map(Event(PostgresChangeType.Update, "ai_chat_messages", MessageRow, MessageRow), isSession: false)!;
        Assert.Equal(ChatChangeKind.MessageUpdated, updated.Kind);
        var message = Assert.IsType<MessageChange>(updated).Message;
        Assert.Equal(MessageStatus.Streaming, message.Status);
        Assert.Equal(message.Id, updated.Id);
    }

    [Theory]
    [InlineData("ai_chat_sessions", ChatChangeKind.SessionDeleted)]
    [InlineData("ai_chat_messages", ChatChangeKind.MessageDeleted)]
    public void A_deletion_log_row_becomes_the_delete_of_the_row_it_names(string table, ChatChangeKind kind)
    {
        var row = $$"""
            {"id":7,"user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","table_name":"{{table}}",
             "row_id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","session_id":"11111111-2222-3333-4444-555555555555",
             "deleted_at":"2026-11-25T04:00:00.000001+00:00"}
            """;
        var change = RealtimeChatChangeFeed.MapDeletion(Event(PostgresChangeType.Insert, "ai_chat_deletions", row, null))!;
        Assert.Equal(kind, change.Kind);
        Assert.Equal(Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"), change.Id);
        Assert.Equal(Guid.Parse("11111111-2222-3333-4444-555555555555"), change.LoggedSessionId); // attributes it with no lookup
    }

    [Fact]
    public void A_deletion_log_row_that_is_not_one_is_refused_or_dropped()
    {
        const string Unknown = """{"table_name":"auth_users","row_id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff"}""";
        Assert.Throws<InvalidOperationException>(() => RealtimeChatChangeFeed.MapDeletion(Event(PostgresChangeType.Insert, "ai_chat_deletions", Unknown, null)));
        Assert.Throws<InvalidOperationException>(() => RealtimeChatChangeFeed.MapDeletion(Event(PostgresChangeType.Insert, "ai_chat_messages", MessageRow, null)));
        Assert.Null(RealtimeChatChangeFeed.MapDeletion(Event(PostgresChangeType.Insert, "ai_chat_deletions", """{"table_name":"ai_chat_messages"}""", null)));
        Assert.Null(RealtimeChatChangeFeed.MapDeletion(Event(PostgresChangeType.Update, "ai_chat_deletions", """{"table_name":"ai_chat_messages","row_id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff"}""", null)));
    }

    [Fact]
    public void Deletes_carry_only_the_primary_key()
    {
        var d = RealtimeChatChangeFeed.Map(Event(PostgresChangeType.Delete, "ai_chat_messages", null, """{"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff"}"""), isSession: false)!;
        Assert.Equal(ChatChangeKind.MessageDeleted, d.Kind);
        Assert.Equal(Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"), d.Id);
        Assert.IsType<MessageDeletion>(d);
        var s = RealtimeChatChangeFeed.Map(Event(PostgresChangeType.Delete, "ai_chat_sessions", null, """{"id":"11111111-2222-3333-4444-555555555555"}"""), isSession: true)!;
        Assert.Equal(ChatChangeKind.SessionDeleted, s.Kind);
        Assert.IsType<SessionDeletion>(s);
    }

    [Theory]
    [InlineData(PostgresChangeType.Insert, null, null)]
    [InlineData(PostgresChangeType.Delete, null, "{}")]
    [InlineData(PostgresChangeType.Delete, null, """{"id":"not-a-uuid"}""")]
    [InlineData(PostgresChangeType.Update, "[1,2]", null)]
    public void Payloads_without_a_usable_row_are_dropped(PostgresChangeType type, string? @new, string? old) =>
        Assert.Null(RealtimeChatChangeFeed.Map(Event(type, "ai_chat_messages", @new, old), isSession: false));

    [Fact]
    public void A_row_with_wrong_types_throws_a_json_error_that_the_feed_logs_and_drops() =>
        Assert.Throws<JsonException>(() => RealtimeChatChangeFeed.Map(
            Event(PostgresChangeType.Insert, "ai_chat_messages", """{"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","status":"bogus"}""", null), isSession: false));
}

public class RealtimeChatChangeFeedPartialRowTests
{
    // Supabase Realtime (apply_rls) drops every value longer than 64 bytes from a record whose WAL entry exceeds
    // max_record_bytes and reports "Error 413: Payload Too Large": the long content is simply absent.
    private const string TruncatedMessageRow = """
        {"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","session_id":"11111111-2222-3333-4444-555555555555",
         "user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","is_user":false,"status":"complete",
         "created_at":"2026-11-25T04:00:00.123456+00:00","updated_at":"2026-11-25T04:00:01.654321+00:00","metadata":{}}
        """;

    private static PostgresChangeEvent Event(PostgresChangeType type, string row, params string[] errors) => new(
        type, "public", "ai_chat_messages", DateTimeOffset.UtcNow, JsonDocument.Parse(row).RootElement, null, errors);

    [Theory]
    [InlineData(PostgresChangeType.Insert)]
    [InlineData(PostgresChangeType.Update)]
    public void A_record_truncated_by_the_server_is_not_turned_into_a_message_without_content(PostgresChangeType type) =>
        Assert.Null(RealtimeChatChangeFeed.Map(Event(type, TruncatedMessageRow, "Error 413: Payload Too Large"), isSession: false));

    [Fact]
    public void A_message_row_without_content_is_dropped_even_without_errors() =>
        Assert.Null(RealtimeChatChangeFeed.Map(Event(PostgresChangeType.Update, TruncatedMessageRow), isSession: false));

    [Fact]
    public void A_session_row_without_title_is_dropped() =>
        Assert.Null(RealtimeChatChangeFeed.Map(new PostgresChangeEvent(
            PostgresChangeType.Update, "public", "ai_chat_sessions", DateTimeOffset.UtcNow,
            JsonDocument.Parse("""{"id":"11111111-2222-3333-4444-555555555555","user_id":"0f8fad5b-d9cb-469f-a165-70867728950e","is_active":true,"created_at":"2026-11-25T04:00:00+00:00","updated_at":"2026-11-25T04:00:00+00:00"}""").RootElement,
            null, ["Error 413: Payload Too Large"]), isSession: true));

    [Fact]
    public void A_delete_with_errors_still_removes_by_primary_key()
    {
        var change = RealtimeChatChangeFeed.Map(new PostgresChangeEvent(
            PostgresChangeType.Delete, "public", "ai_chat_messages", DateTimeOffset.UtcNow, null,
            JsonDocument.Parse("""{"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff"}""").RootElement, ["Error 413: Payload Too Large"]), isSession: false);
        Assert.Equal(ChatChangeKind.MessageDeleted, change!.Kind);
    }
}
