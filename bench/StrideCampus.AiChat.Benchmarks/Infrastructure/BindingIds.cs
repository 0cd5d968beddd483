using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.Benchmarks.Infrastructure;

/// <summary>
/// The postgres_changes binding ids LocalStack assigns to a store's two bindings (sessions and messages of a
/// user). They are a hash of event|schema|table|filter, so a short raw join with the same filters learns them.
/// </summary>
internal sealed record BindingIds(long Sessions, long Messages)
{
    public static async Task<BindingIds> FetchAsync(BenchServer server, Guid user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(
            new Uri($"ws://{server.ApiUrl.Authority}/realtime/v1/websocket?apikey={server.AnonKey}&vsn=2.0.0"), cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(Encoding.UTF8.GetBytes(JoinFrame("realtime:ids", user, server.Token(user))), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1 << 16];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token).ConfigureAwait(false);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            using var doc = JsonDocument.Parse(buffer.AsMemory(0, length));
            var root = doc.RootElement;
            if (root[3].GetString() != "phx_reply" || root[1].GetString() != "1")
            {
                continue;
            }

            long sessions = 0, messages = 0;
            foreach (var binding in root[4].GetProperty("response").GetProperty("postgres_changes").EnumerateArray())
            {
                var id = binding.GetProperty("id").GetInt64();
                switch (binding.GetProperty("table").GetString())
                {
                    case "ai_chat_sessions":
                        sessions = id;
                        break;
                    case "ai_chat_messages":
                        messages = id;
                        break;
                }
            }

            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken).ConfigureAwait(false);
            return new BindingIds(sessions, messages);
        }
    }

    /// <summary>
    /// The join a MessageStore sends: sessions and messages of the user, every event, and the inserts of the user's
    /// deletion log (deletes travel through it: a filtered DELETE binding receives nothing under the chat tables'
    /// default replica identity).
    /// </summary>
    public static string JoinFrame(string topic, Guid user, string token)
    {
        var filter = "user_id=eq." + user.ToString("D", CultureInfo.InvariantCulture);
        return JsonSerializer.Serialize(new object?[]
        {
            "1", "1", topic, "phx_join",
            new Dictionary<string, object>
            {
                ["config"] = new Dictionary<string, object>
                {
                    ["broadcast"] = new Dictionary<string, object> { ["ack"] = false, ["self"] = false },
                    ["presence"] = new Dictionary<string, object> { ["key"] = "", ["enabled"] = false },
                    ["postgres_changes"] = new[]
                    {
                        new Dictionary<string, string> { ["event"] = "*", ["schema"] = "public", ["table"] = "ai_chat_sessions", ["filter"] = filter },
                        new Dictionary<string, string> { ["event"] = "*", ["schema"] = "public", ["table"] = "ai_chat_messages", ["filter"] = filter },
                        new Dictionary<string, string> { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "ai_chat_deletions", ["filter"] = filter },
                    },
                    ["private"] = false,
                },
                ["access_token"] = token,
            },
        });
    }
}
