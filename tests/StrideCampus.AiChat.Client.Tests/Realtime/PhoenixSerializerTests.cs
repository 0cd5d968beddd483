using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>Vectors from realtime-js test/serializer.test.ts (facts of the wire format) and Phoenix's 1.0.0 JSON format.</summary>
public class PhoenixSerializerTests
{
    private static readonly PhoenixSerializer V2 = new(RealtimeSerializerVersion.V2);
    private static readonly PhoenixSerializer V1 = new(RealtimeSerializerVersion.V1);

    private static string Encode(PhoenixSerializer serializer, string? joinRef, string? @ref, string topic, string @event, string payload) =>
        Encoding.UTF8.GetString(serializer.EncodeText(joinRef, @ref, topic, @event, payload, static (w, p) => w.WriteRawValue(p)));

    [Fact]
    public void V2_encodes_an_array()
    {
        Assert.Equal("[\"0\",\"1\",\"t\",\"e\",{\"foo\":1}]", Encode(V2, "0", "1", "t", "e", "{\"foo\":1}"));
    }

    [Fact]
    public void V2_encodes_missing_refs_as_null()
    {
        Assert.Equal("[null,null,\"t\",\"e\",{\"foo\":1}]", Encode(V2, null, null, "t", "e", "{\"foo\":1}"));
    }

    [Fact]
    public void V2_encodes_a_heartbeat()
    {
        Assert.Equal("[null,\"3\",\"phoenix\",\"heartbeat\",{}]", Encode(V2, null, "3", "phoenix", "heartbeat", "{}"));
    }

    [Fact]
    public void V2_decodes_an_array()
    {
        var frame = V2.DecodeText("[\"0\",\"1\",\"t\",\"e\",{\"foo\":1}]"u8.ToArray());
        Assert.Equal("0", frame.JoinRef);
        Assert.Equal("1", frame.Ref);
        Assert.Equal("t", frame.Topic);
        Assert.Equal("e", frame.Event);
        Assert.Equal("{\"foo\":1}", Encoding.UTF8.GetString(frame.Payload.Span));
    }

    [Fact]
    public void V2_decodes_missing_refs()
    {
        var frame = V2.DecodeText("[null,null,\"t\",\"e\",{\"foo\":1}]"u8.ToArray());
        Assert.Null(frame.JoinRef);
        Assert.Null(frame.Ref);
        Assert.Equal("{\"foo\":1}", Encoding.UTF8.GetString(frame.Payload.Span));
    }

    [Fact]
    public void V1_encodes_an_object()
    {
        Assert.Equal(
            "{\"topic\":\"t\",\"event\":\"e\",\"payload\":{\"foo\":1},\"ref\":\"1\",\"join_ref\":\"0\"}",
            Encode(V1, "0", "1", "t", "e", "{\"foo\":1}"));
    }

    [Fact]
    public void V1_decodes_an_object_in_any_key_order()
    {
        var frame = V1.DecodeText("{\"payload\":{\"status\":\"ok\",\"response\":{}},\"ref\":\"7\",\"topic\":\"realtime:x\",\"event\":\"phx_reply\"}"u8.ToArray());
        Assert.Null(frame.JoinRef);
        Assert.Equal("7", frame.Ref);
        Assert.Equal("realtime:x", frame.Topic);
        Assert.Equal("phx_reply", frame.Event);
        Assert.Equal("{\"status\":\"ok\",\"response\":{}}", Encoding.UTF8.GetString(frame.Payload.Span));
    }

    [Fact]
    public void Encodes_user_broadcast_push_with_json_payload_and_no_metadata()
    {
        var bin = PhoenixSerializer.EncodeUserBroadcastPush("10", "1", "top", "user-event", "{\"a\":\"b\"}"u8, payloadIsJson: true);
        Assert.Equal("\x03\x02\x01\x03\x0a\x00\x01" + "101topuser-event{\"a\":\"b\"}", Encoding.UTF8.GetString(bin));
    }

    [Fact]
    public void Encodes_user_broadcast_push_without_refs()
    {
        var bin = PhoenixSerializer.EncodeUserBroadcastPush(null, null, "top", "user-event", "{\"a\":\"b\"}"u8, payloadIsJson: true);
        Assert.Equal("\x03\x00\x00\x03\x0a\x00\x01" + "topuser-event{\"a\":\"b\"}", Encoding.UTF8.GetString(bin));
    }

    [Fact]
    public void Encodes_user_broadcast_push_with_metadata()
    {
        var bin = PhoenixSerializer.EncodeUserBroadcastPush("10", "1", "top", "user-event", "{\"a\":\"b\"}"u8, payloadIsJson: true, "{\"extra\":\"bit\"}");
        Assert.Equal("\x03\x02\x01\x03\x0a\x0f\x01" + "101topuser-event{\"extra\":\"bit\"}{\"a\":\"b\"}", Encoding.UTF8.GetString(bin));
    }

    [Fact]
    public void Encodes_user_broadcast_push_with_binary_payload()
    {
        var bin = PhoenixSerializer.EncodeUserBroadcastPush("10", "1", "top", "user-event", new byte[] { 1, 4 }, payloadIsJson: false);
        Assert.Equal("\x03\x02\x01\x03\x0a\x00\x00" + "101topuser-event\x01\x04", Encoding.UTF8.GetString(bin));
    }

    [Fact]
    public void Encodes_a_non_ascii_user_event_with_its_utf8_length()
    {
        const string userEvent = "café-🎉";
        var bin = PhoenixSerializer.EncodeUserBroadcastPush("10", "1", "top", userEvent, "{}"u8, payloadIsJson: true);
        Assert.Equal(Encoding.UTF8.GetByteCount(userEvent), bin[4]);
        Assert.Equal(userEvent, Encoding.UTF8.GetString(bin, 7 + 2 + 1 + 3, bin[4]));
    }

    [Theory]
    [InlineData("joinRef")]
    [InlineData("ref")]
    [InlineData("topic")]
    [InlineData("userEvent")]
    public void Refuses_fields_longer_than_255_bytes(string field)
    {
        var longValue = new string('a', 256);
        var ex = Assert.Throws<ArgumentException>(() => PhoenixSerializer.EncodeUserBroadcastPush(
            field == "joinRef" ? longValue : "10",
            field == "ref" ? longValue : "1",
            field == "topic" ? longValue : "top",
            field == "userEvent" ? longValue : "user-event",
            "{}"u8,
            payloadIsJson: true));
        Assert.Contains($"{field} length 256 exceeds maximum of 255", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decodes_user_broadcast_with_json_payload_and_no_metadata()
    {
        var frame = V2.DecodeBinary(Encoding.UTF8.GetBytes("\x04\x03\x0a\x00\x01topuser-event{\"a\":\"b\"}"));
        Assert.Null(frame.JoinRef);
        Assert.Null(frame.Ref);
        Assert.Equal("top", frame.Topic);
        Assert.Equal("broadcast", frame.Event);
        Assert.Equal("user-event", frame.BroadcastEvent);
        Assert.True(frame.BroadcastPayloadIsJson);
        Assert.Equal(0, frame.BroadcastMeta.Length);
        Assert.Equal("{\"a\":\"b\"}", Encoding.UTF8.GetString(frame.Payload.Span));
    }

    [Fact]
    public void Decodes_user_broadcast_with_json_payload_and_metadata()
    {
        var frame = V2.DecodeBinary(Encoding.UTF8.GetBytes("\x04\x03\x0a\x11\x01topuser-event{\"replayed\":true}{\"a\":\"b\"}"));
        Assert.Equal("{\"replayed\":true}", Encoding.UTF8.GetString(frame.BroadcastMeta.Span));
        Assert.Equal("{\"a\":\"b\"}", Encoding.UTF8.GetString(frame.Payload.Span));
    }

    [Fact]
    public void Decodes_user_broadcast_with_binary_payload()
    {
        var frame = V2.DecodeBinary(Encoding.UTF8.GetBytes("\x04\x03\x0a\x11\x00topuser-event{\"replayed\":true}\x01\x04"));
        Assert.False(frame.BroadcastPayloadIsJson);
        Assert.Equal(new byte[] { 1, 4 }, frame.Payload.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("42")]
    [InlineData("[\"1\",\"2\",\"t\"]")]
    [InlineData("[\"1\",\"2\",3,\"e\",{}]")]
    [InlineData("[\"1\",\"2\",\"t\",\"e\",{}, 5]")]
    [InlineData("{\"topic\":\"t\"}")]
    [InlineData("[null,null,\"t\",\"e\",{\"a\":")]
    public void Malformed_text_frames_throw_format_or_json_errors(string text)
    {
        var ex = Record.Exception(() => V2.DecodeText(Encoding.UTF8.GetBytes(text)));
        Assert.True(ex is FormatException or JsonException, ex?.GetType().Name ?? "no exception");
    }

    [Fact]
    public void A_postgres_changes_payload_is_handed_on_whole_without_a_second_pass()
    {
        var frame = V2.DecodeText("[null,null,\"t\",\"postgres_changes\",{\"ids\":[1],\"data\":{\"a\":\"]\"}} ]\n"u8.ToArray());
        Assert.Equal("postgres_changes", frame.Event);
        Assert.Equal("{\"ids\":[1],\"data\":{\"a\":\"]\"}} ", Encoding.UTF8.GetString(frame.Payload.Span));
    }

    [Theory]
    [InlineData("[null,null,\"t\",\"postgres_changes\"]")]
    [InlineData("[null,null,\"t\",\"postgres_changes\",{\"ids\":[1],\"data\":{}},5]")]
    [InlineData("[null,null,\"t\",\"postgres_changes\",{\"ids\":[1],\"data\":{}}]]")]
    [InlineData("[null,null,\"t\",\"postgres_changes\",{\"ids\":[1],\"data\":{}}")]
    [InlineData("[null,null,\"t\",\"postgres_changes\",{\"ids\":[1],\"data\":{\"schema\":\"public\"")]
    [InlineData("[null,null,\"t\",\"postgres_changes\",{\"ids\":[1,\"data\":{}}]")]
    public void Malformed_postgres_changes_frames_fail_in_the_decoder_or_the_payload_parser(string text)
    {
        var ex = Record.Exception(() =>
        {
            var frame = V2.DecodeText(Encoding.UTF8.GetBytes(text));
            PostgresChangeParser.Parse(frame.Payload, new PostgresChangeFrame(), [], new Utf8StringCache());
        });
        Assert.True(ex is FormatException or JsonException, ex?.GetType().Name ?? "no exception");
    }

    [Fact]
    public void Truncated_binary_frames_throw()
    {
        Assert.Throws<FormatException>(() => V2.DecodeBinary(new byte[] { 4, 10, 10, 0, 1, (byte)'t' }));
        Assert.Throws<NotSupportedException>(() => V2.DecodeBinary(new byte[] { 9, 0, 0, 0, 0 }));
    }
}
