using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// The WebSocket floor: a Phoenix heartbeat <c>[null,ref,"phoenix","heartbeat",{}]</c> and its <c>phx_reply</c>, on a
/// raw <see cref="ClientWebSocket"/> to LocalStack's realtime endpoint, one at a time at a given pace.
/// </summary>
internal static class HeartbeatProbe
{
    public static async Task<double[]> MeasureAsync(Uri endpoint, int count, double rate, CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(endpoint, ct);
        var buffer = new byte[64 * 1024];
        var samples = new List<double>(count);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await Pace.UntilSlotAsync(clock, i, rate, ct);

            var reference = "hb" + i.ToString(CultureInfo.InvariantCulture);
            var frame = Encoding.UTF8.GetBytes($"[null,\"{reference}\",\"phoenix\",\"heartbeat\",{{}}]");
            var start = Stopwatch.GetTimestamp();
            await socket.SendAsync(frame, WebSocketMessageType.Text, true, ct);
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (IsReplyTo(buffer.AsSpan(0, length), reference))
                {
                    samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    break;
                }
            }
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        return [.. samples];
    }

    private static bool IsReplyTo(ReadOnlySpan<byte> frame, string reference)
    {
        var reader = new Utf8JsonReader(frame);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        return root.ValueKind == JsonValueKind.Array && root.GetArrayLength() >= 4
            && root[1].ValueKind == JsonValueKind.String && root[1].GetString() == reference
            && root[3].GetString() == "phx_reply";
    }
}
