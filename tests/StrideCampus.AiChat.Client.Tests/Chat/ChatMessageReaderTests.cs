using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat;

public class ChatMessageReaderTests
{
    private const string Ids = "\"id\":\"0b6f3c1e-5d2a-4c1f-9a7e-3d2b1c0a9f8e\",\"session_id\":\"5f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f\",\"user_id\":\"9e8d7c6b-5a49-4837-a625-1f0e9d8c7b6a\"";

    public static TheoryData<string> ReadFast => new()
    {
        "{" + Ids + ",\"content\":\"Hello\",\"is_user\":false,\"status\":\"complete\",\"created_at\":\"2026-11-25T04:59:15.180117+00:00\",\"updated_at\":\"2026-11-25T04:59:16+00:00\",\"metadata\":{}}",
        "{" + Ids + ",\"content\":\"esc \\\"q\\\" \\u00e9 \\n\",\"is_user\":true,\"status\":\"streaming\",\"created_at\":\"2026-11-30T09:43:58.290823\\u002B00:00\",\"updated_at\":\"2026-11-30T09:43:58.290823\\u002B00:00\",\"metadata\":{\"n\":7,\"tags\":[\"a\",{\"b\":null}]}}",
        "{\"extra\":[1,{\"x\":2}]," + Ids + ",\"content\":null,\"status\":\"pending\",\"metadata\":null}",
        "{" + Ids + ",\"status\":\"error\"}",
        "{}",
    };

    public static TheoryData<string> FallBack => new()
    {
        "{" + Ids + ",\"status\":\"Complete\"}",
        "{" + Ids + ",\"status\":2}",
        "{" + Ids + ",\"id\":\"0b6f3c1e-5d2a-4c1f-9a7e-3d2b1c0a9f8f\"}",
        "{\"\\u0069d\":\"0b6f3c1e-5d2a-4c1f-9a7e-3d2b1c0a9f8e\"}",
        "{" + Ids + ",\"is_user\":null}",
        "{" + Ids + ",\"metadata\":[1]}",
        "{\"id\":\"not-a-guid\"}",
        "[]",
    };

    [Theory]
    [MemberData(nameof(ReadFast))]
    public void Reads_the_usual_shape_exactly_as_the_serializer_does(string json)
    {
        Assert.True(ChatMessageReader.TryRead(Encoding.UTF8.GetBytes(json), out var fast));
        var reference = JsonSerializer.Deserialize(json, ChatJsonContext.Default.ChatMessage)!;
        Assert.Equal(Describe(reference), Describe(fast!));
    }

    [Theory]
    [MemberData(nameof(FallBack))]
    public void Leaves_anything_unusual_to_the_serializer(string json) =>
        Assert.False(ChatMessageReader.TryRead(Encoding.UTF8.GetBytes(json), out _));

    [Fact]
    public void Metadata_read_from_a_frame_is_parsed_on_first_use_into_an_object_of_each_message()
    {
        var json = "{" + Ids + ",\"content\":\"a\",\"status\":\"complete\",\"metadata\":{ }}";
        Assert.True(ChatMessageReader.TryRead(Encoding.UTF8.GetBytes(json), out var first));
        Assert.True(ChatMessageReader.TryRead(Encoding.UTF8.GetBytes(json), out var second));
        first!.Metadata!["mine"] = 1; // a mutable object: never shared between messages
        Assert.Empty(second!.Metadata!);
        Assert.Same(first.Metadata, first.Metadata);

        var withTags = "{" + Ids + ",\"content\":\"a\",\"metadata\":{\"tags\":[\"x\"]}}";
        Assert.True(ChatMessageReader.TryRead(Encoding.UTF8.GetBytes(withTags), out var tagged));
        var copy = tagged! with { Content = "b" };
        Assert.Equal("x", (string?)copy.Metadata!["tags"]![0]);
        Assert.Equal("x", (string?)tagged.Metadata!["tags"]![0]);
        Assert.Null((tagged with { Metadata = null }).Metadata);
    }

    [Fact]
    public void Reading_the_metadata_changes_neither_equality_nor_the_hash_code()
    {
        var json = Encoding.UTF8.GetBytes("{" + Ids + ",\"content\":\"a\",\"status\":\"complete\",\"metadata\":{\"n\":1}}");
        Assert.True(ChatMessageReader.TryRead(json, out var message));
        var copy = message! with { };
        var hash = message.GetHashCode();
        Assert.Equal(message, copy);

        _ = message.Metadata;
        Assert.Equal(hash, message.GetHashCode());
        Assert.Equal(message, copy);
        Assert.Same(message.Metadata, copy.Metadata); // a copy shares the one parse, as it shared the object before
    }

    private static string Describe(ChatMessage m) =>
        $"{m.Id}|{m.SessionId}|{m.UserId}|{m.Content ?? "<null>"}|{m.IsUser}|{m.Status}|{m.CreatedAt:O}|{m.UpdatedAt:O}|{m.Metadata?.ToJsonString() ?? "<null>"}";
}
