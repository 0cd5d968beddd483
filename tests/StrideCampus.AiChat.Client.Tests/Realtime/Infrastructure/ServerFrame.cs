using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Tests.Realtime.Infrastructure;

/// <summary>A frame the fake server received from the client.</summary>
public sealed record ServerFrame(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload, byte[] Raw, bool Binary)
{
    public string Text => Encoding.UTF8.GetString(Raw);

    public static ServerFrame Parse(byte[] raw, bool binary)
    {
        if (binary)
        {
            // kind 3: user broadcast push
            int joinRefLength = raw[1], refLength = raw[2], topicLength = raw[3], eventLength = raw[4], metaLength = raw[5];
            var offset = 7;
            string Take(int n)
            {
                var s = Encoding.UTF8.GetString(raw, offset, n);
                offset += n;
                return s;
            }

            var joinRef = Take(joinRefLength);
            var @ref = Take(refLength);
            var topic = Take(topicLength);
            var userEvent = Take(eventLength);
            Take(metaLength);
            var body = JsonDocument.Parse(raw.AsMemory(offset)).RootElement.Clone();
            var payload = JsonDocument.Parse(JsonSerializerFacade.Broadcast(userEvent, body)).RootElement.Clone();
            return new ServerFrame(joinRef, @ref, topic, "broadcast", payload, raw, true);
        }

        var root = JsonDocument.Parse(raw).RootElement.Clone();
        if (root.ValueKind == JsonValueKind.Array)
        {
            return new ServerFrame(root[0].GetString(), root[1].GetString(), root[2].GetString()!, root[3].GetString()!, root[4], raw, false);
        }

        return new ServerFrame(
            root.TryGetProperty("join_ref", out var j) ? j.GetString() : null,
            root.TryGetProperty("ref", out var r) ? r.GetString() : null,
            root.GetProperty("topic").GetString()!,
            root.GetProperty("event").GetString()!,
            root.GetProperty("payload"),
            raw,
            false);
    }

    private static class JsonSerializerFacade
    {
        public static string Broadcast(string userEvent, JsonElement body) =>
            $"{{\"type\":\"broadcast\",\"event\":{JsonEncode(userEvent)},\"payload\":{body.GetRawText()}}}";
    }

    public static string JsonEncode(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStringValue(value);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
