using System.Text;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class PostgresChangeParserTests
{
    private readonly Utf8StringCache _names = new();
    private readonly List<long> _ids = [];

    private PostgresChangeEvent Parse(string payload) => PostgresChangeParser.Parse(Encoding.UTF8.GetBytes(payload), _ids, _names);

    [Fact]
    public void Parses_the_server_shape_record_and_old_record()
    {
        var change = Parse("""
            {"ids":[38606455],"data":{"columns":[{"name":"id","type":"uuid"},{"name":"title","type":"text"}],
             "commit_timestamp":"2024-05-01T10:20:30.123Z","errors":null,"old_record":{"id":"a","title":"x"},
             "record":{"id":"a","title":"y"},"schema":"public","table":"ai_chat_sessions","type":"UPDATE"}}
            """);
        Assert.Equal([38606455L], _ids);
        Assert.Equal(PostgresChangeType.Update, change.Type);
        Assert.Equal("public", change.Schema);
        Assert.Equal("ai_chat_sessions", change.Table);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 20, 30, 123, TimeSpan.Zero), change.CommitTimestamp);
        Assert.Equal("y", change.New!.Value.GetProperty("title").GetString());
        Assert.Equal("x", change.Old!.Value.GetProperty("title").GetString());
        Assert.Empty(change.Errors);
    }

    [Fact]
    public void A_deeply_nested_row_accepted_by_the_parser_can_be_read()
    {
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);
        var change = Parse(
            "{\"ids\":[1],\"data\":{\"schema\":\"public\",\"table\":\"t\",\"commit_timestamp\":\"2024-05-01T10:20:30Z\"," +
            "\"eventType\":\"INSERT\",\"new\":{\"id\":\"m1\",\"metadata\":" + nested + "},\"old\":{},\"errors\":[]}}");
        Assert.Equal("m1", change.New!.Value.GetProperty("id").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, change.New!.Value.GetProperty("metadata").ValueKind);
    }

    [Fact]
    public void Parses_the_client_shape_new_old_and_eventType()
    {
        var change = Parse("""
            {"ids":[1,2],"data":{"schema":"public","table":"ai_chat_messages","commit_timestamp":"2024-05-01T10:20:30Z",
             "eventType":"INSERT","new":{"id":"m1","content":"hi"},"old":{},"errors":[]}}
            """);
        Assert.Equal([1L, 2L], _ids);
        Assert.Equal(PostgresChangeType.Insert, change.Type);
        Assert.Equal("hi", change.New!.Value.GetProperty("content").GetString());
        Assert.Null(change.Old);
    }

    [Fact]
    public void Row_images_are_kept_as_received_and_parsed_once_on_demand()
    {
        var payload = Encoding.UTF8.GetBytes("""
            {"ids":[1],"data":{"schema":"public","table":"t","commit_timestamp":"2024-05-01T10:20:30Z","type":"UPDATE",
             "record":{"id":"a","n":[1,{"x":"\u002B"}]},"old_record":"not an object"}}
            """);
        var change = PostgresChangeParser.Parse(payload, _ids, _names);
        Array.Clear(payload); // the receive buffer is reused: the event must not depend on it

        Assert.Equal("""{"id":"a","n":[1,{"x":"\u002B"}]}""", Encoding.UTF8.GetString(change.NewRow!.Utf8));
        Assert.True(change.NewRow.IsObject);
        Assert.Equal("+", change.New!.Value.GetProperty("n")[1].GetProperty("x").GetString());
        Assert.Equal(change.New.Value.GetRawText(), change.New.Value.GetRawText());
        Assert.Equal(System.Text.Json.JsonValueKind.String, change.Old!.Value.ValueKind);
        Assert.False(change.OldRow!.IsObject);

        // `with` replaces the lazily read image like any other property.
        var replaced = change with { New = System.Text.Json.JsonDocument.Parse("""{"id":"b"}""").RootElement };
        Assert.Null(replaced.NewRow);
        Assert.Equal("b", replaced.New!.Value.GetProperty("id").GetString());
        Assert.Equal("a", change.New.Value.GetProperty("id").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.String, replaced.Old!.Value.ValueKind);
    }

    [Fact]
    public void Parses_a_delete_that_carries_only_the_key()
    {
        var change = Parse("""
            {"ids":[5],"data":{"schema":"public","table":"ai_chat_messages","commit_timestamp":"2024-05-01T10:20:30Z",
             "type":"DELETE","old_record":{"id":"m1"},"columns":[]}}
            """);
        Assert.Equal(PostgresChangeType.Delete, change.Type);
        Assert.Null(change.New);
        Assert.Equal("m1", change.Old!.Value.GetProperty("id").GetString());
        Assert.Single(change.Old!.Value.EnumerateObject());
    }

    [Fact]
    public void Keeps_server_errors()
    {
        var change = Parse("""{"ids":[5],"data":{"schema":"public","table":"t","type":"INSERT","errors":["Error 413: Payload Too Large"]}}""");
        Assert.Equal(["Error 413: Payload Too Large"], change.Errors);
        Assert.Null(change.New);
    }

    [Fact]
    public void Row_images_outlive_the_frame_buffer()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT","record":{"a":"b"}}}""");
        var change = PostgresChangeParser.Parse(bytes, _ids, _names);
        Array.Clear(bytes);
        Assert.Equal("b", change.New!.Value.GetProperty("a").GetString());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"ids\":[1]}")]
    [InlineData("{\"data\":{\"schema\":\"public\",\"table\":\"t\",\"type\":\"TRUNCATE\"}}")]
    [InlineData("{\"data\":{\"table\":\"t\",\"type\":\"INSERT\"}}")]
    [InlineData("[]")]
    public void Rejects_payloads_that_are_not_changes(string payload)
    {
        Assert.Throws<FormatException>(() => Parse(payload));
    }
}
