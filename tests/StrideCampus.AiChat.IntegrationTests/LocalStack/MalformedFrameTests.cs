using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Realtime;
using static StrideCampus.AiChat.IntegrationTests.Infrastructure.PhoenixTestSocket;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// A malformed frame is refused whole, trailing data after the JSON value included, as Phoenix's serializers
/// (<c>Jason.decode!</c> of the whole frame; the 2.0.0 array matched as exactly five elements) refuse it, and
/// nothing of it is relayed; one target that cannot take a broadcast stops neither the others nor the sender.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class MalformedFrameTests(LocalStackFixture fixture)
{
    private const string Valid2 = """[null,"1","realtime:t","broadcast",{"type":"broadcast","event":"e","payload":{}}]""";
    private const string Valid1 = """{"topic":"realtime:t","event":"broadcast","payload":{"type":"broadcast","event":"e","payload":{}},"ref":"1","join_ref":null}""";

    public static TheoryData<string, string, bool> TextFrames() => new()
    {
        { "2.0.0", Valid2, true },
        { "2.0.0", Valid2 + " \n\t", true },
        { "2.0.0", Valid2 + "x", false },
        { "2.0.0", Valid2 + " [1]", false },
        { "2.0.0", Valid2 + "{}", false },
        { "2.0.0", Valid2 + Valid2, false },
        { "2.0.0", Valid2[..^1] + ",\"sixth\"]", false },
        { "2.0.0", """[null,"1","realtime:t","broadcast"]""", false },
        { "2.0.0", Valid2[..^2], false },
        { "1.0.0", Valid1, true },
        { "1.0.0", Valid1 + "  ", true },
        { "1.0.0", Valid1 + Valid1, false },
        { "1.0.0", Valid1 + " garbage", false },
        { "1.0.0", Valid1 + "]", false },
    };

    [Theory]
    [MemberData(nameof(TextFrames))]
    public void A_text_frame_is_decoded_only_when_it_is_one_whole_message(string vsn, string frame, bool decodes)
    {
        var message = PhoenixSerializer.ForVersion(vsn)!.DecodeText(Encoding.UTF8.GetBytes(frame));
        Assert.Equal(decodes, message is not null);
    }

    /// <summary>A 2.0.0 binary user broadcast push (kind 3) as realtime-js builds it.</summary>
    private static byte[] BinaryPush(string? joinRef, string @ref, byte[] topic, string @event, byte[] payload, bool json)
    {
        var j = Encoding.UTF8.GetBytes(joinRef ?? "");
        var r = Encoding.UTF8.GetBytes(@ref);
        var e = Encoding.UTF8.GetBytes(@event);
        return [PhoenixSerializerV2.UserBroadcastPush, (byte)j.Length, (byte)r.Length, (byte)topic.Length, (byte)e.Length, 0, json ? (byte)1 : (byte)0, .. j, .. r, .. topic, .. e, .. payload];
    }

    [Fact]
    public void A_binary_push_with_trailing_data_after_its_JSON_or_a_topic_that_is_not_UTF8_is_refused()
    {
        var topic = "realtime:t"u8.ToArray();
        Assert.NotNull(PhoenixSerializer.V2.DecodeBinary(BinaryPush("1", "2", topic, "e", """{"a":1}"""u8.ToArray(), json: true)));
        Assert.NotNull(PhoenixSerializer.V2.DecodeBinary(BinaryPush("1", "2", topic, "e", [0xff, 0x00, 0x7b], json: false))); // opaque bytes
        Assert.Null(PhoenixSerializer.V2.DecodeBinary(BinaryPush("1", "2", topic, "e", """{"a":1}x"""u8.ToArray(), json: true)));
        Assert.Null(PhoenixSerializer.V2.DecodeBinary(BinaryPush("1", "2", topic, "e", """{"a":1}{"b":2}"""u8.ToArray(), json: true)));
        Assert.Null(PhoenixSerializer.V2.DecodeBinary(BinaryPush("1", "2", [.. "realtime:"u8, 0xc3, 0x28], "e", """{"a":1}"""u8.ToArray(), json: true)));
    }

    private async Task<PhoenixTestSocket> JoinAsync(string topic, string vsn = "2.0.0", bool ack = false)
    {
        var socket = await ConnectAsync(fixture.Stack.ApiUrl, fixture.Stack.AnonKey, vsn);
        await socket.PushAsync("1", "1", topic, "phx_join", new { config = new { broadcast = new { ack, self = false } } });
        Assert.Equal("ok", Parts(await socket.WaitForReplyAsync("1")).Payload.GetProperty("status").GetString());
        return socket;
    }

    /// <summary>A broadcast's event, or "binary" for a binary frame (which the test socket keeps as a base64 string).</summary>
    private static string? BroadcastEvent(JsonElement m) =>
        m.ValueKind == JsonValueKind.String ? "binary"
        : Parts(m) is { Event: "broadcast" } p && p.Payload.TryGetProperty("event", out var e) ? e.GetString() : null;

    [Fact]
    public async Task A_malformed_broadcast_is_never_relayed_nor_acked_and_the_sender_and_the_other_targets_go_on()
    {
        var topic = "realtime:malformed-" + Guid.NewGuid().ToString("N")[..8];
        await using var sender = await JoinAsync(topic, ack: true);
        // Targets in join order: 1.0.0 (cannot carry a binary payload), one that goes away unannounced, then 2.0.0.
        await using var v1 = await JoinAsync(topic, "1.0.0");
        var gone = await JoinAsync(topic);
        await using var v2 = await JoinAsync(topic);

        var json = """{"type":"broadcast","event":"bad","payload":{"n":1}}""";
        await sender.SendTextAsync($$"""["1","2","{{topic}}","broadcast",{{json}}] {"extra":true}""");
        await sender.SendTextAsync($$"""["1","3","{{topic}}","broadcast",{{json}},"sixth"]""");
        await sender.SendBinaryAsync(BinaryPush("1", "4", Encoding.UTF8.GetBytes(topic), "bad", """{"n":1}trailing"""u8.ToArray(), json: true));
        // The client that goes away: its socket is torn down without a close, while broadcasts are being relayed to it.
        gone.Abort();

        await sender.SendBinaryAsync(BinaryPush("1", "5", Encoding.UTF8.GetBytes(topic), "opaque", [1, 2, 3], json: false));
        await sender.PushAsync("1", "6", topic, "broadcast", new { type = "broadcast", @event = "good", payload = new { n = 2 } });

        // The sender's socket lives: the well-formed pushes are acked, the malformed ones got no reply at all.
        Assert.Equal("ok", Parts(await sender.WaitForReplyAsync("5")).Payload.GetProperty("status").GetString());
        Assert.Equal("ok", Parts(await sender.WaitForReplyAsync("6")).Payload.GetProperty("status").GetString());
        Assert.DoesNotContain(sender.Received, m => m.ValueKind != JsonValueKind.String && Parts(m) is { Event: "phx_reply" } p && p.Ref is "2" or "3" or "4");
        Assert.Equal(WebSocketState.Open, sender.State);

        // The 2.0.0 target gets the binary broadcast then the good one, nothing malformed before them.
        await v2.WaitForAsync(m => BroadcastEvent(m) == "good");
        Assert.Equal(["binary", "good"], v2.Received.Select(BroadcastEvent).OfType<string>());
        // The 1.0.0 target cannot carry the binary payload (as on Supabase) and still gets the good one.
        await v1.WaitForAsync(m => BroadcastEvent(m) == "good");
        Assert.Equal(["good"], v1.Received.Select(BroadcastEvent).OfType<string>());
    }
}
