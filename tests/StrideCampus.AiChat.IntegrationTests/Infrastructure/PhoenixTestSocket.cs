using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>A raw Phoenix client over ClientWebSocket for protocol tests: send frames, await matching ones.</summary>
public sealed class PhoenixTestSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly List<JsonElement> _received = [];

    private PhoenixTestSocket(ClientWebSocket socket, string vsn)
    {
        _socket = socket;
        Vsn = vsn;
    }

    public string Vsn { get; }

    public WebSocketState State => _socket.State;

    public static Uri Url(Uri apiUrl, string apiKey, string vsn) =>
        new($"ws://{apiUrl.Authority}/realtime/v1/websocket?apikey={Uri.EscapeDataString(apiKey)}&vsn={vsn}");

    public static async Task<PhoenixTestSocket> ConnectAsync(Uri apiUrl, string apiKey, string vsn = "2.0.0")
    {
        var socket = new ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(Url(apiUrl, apiKey, vsn), cts.Token);
        return new PhoenixTestSocket(socket, vsn);
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] data) =>
        _socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Sends a message in this socket's serializer.</summary>
    public Task PushAsync(string? joinRef, string? @ref, string topic, string @event, object payload)
    {
        var payloadJson = payload as string ?? JsonSerializer.Serialize(payload);
        string J(string? s) => s is null ? "null" : JsonSerializer.Serialize(s);
        var text = Vsn == "2.0.0"
            ? $"[{J(joinRef)},{J(@ref)},{J(topic)},{J(@event)},{payloadJson}]"
            : $"{{\"topic\":{J(topic)},\"event\":{J(@event)},\"payload\":{payloadJson},\"ref\":{J(@ref)},\"join_ref\":{J(joinRef)}}}";
        return SendTextAsync(text);
    }

    /// <summary>A received message as (join_ref, ref, topic, event, payload) whatever the serializer.</summary>
    public static (string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload) Parts(JsonElement m) =>
        m.ValueKind == JsonValueKind.Array
            ? (m[0].ValueKind == JsonValueKind.Null ? null : m[0].GetString(), m[1].ValueKind == JsonValueKind.Null ? null : m[1].GetString(), m[2].GetString()!, m[3].GetString()!, m[4])
            : (m.TryGetProperty("join_ref", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null,
               m.GetProperty("ref").ValueKind == JsonValueKind.Null ? null : m.GetProperty("ref").GetString(),
               m.GetProperty("topic").GetString()!, m.GetProperty("event").GetString()!, m.GetProperty("payload"));

    /// <summary>Waits for the next text message that matches; earlier ones are kept in <see cref="Received"/>.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var message = await ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("socket closed; received: " + string.Join("\n", _received));
            if (match(message))
            {
                return message;
            }
        }
    }

    public Task<JsonElement> WaitForEventAsync(string @event, string? topic = null, TimeSpan? timeout = null) =>
        WaitForAsync(m => Parts(m).Event == @event && (topic is null || Parts(m).Topic == topic), timeout);

    public Task<JsonElement> WaitForReplyAsync(string @ref, TimeSpan? timeout = null) =>
        WaitForAsync(m => Parts(m).Event == "phx_reply" && Parts(m).Ref == @ref, timeout);

    public IReadOnlyList<JsonElement> Received => _received;

    /// <summary>Next frame: text parsed as JSON; binary frames come back as a JSON string of base64; null when closed.</summary>
    public async Task<JsonElement?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var ms = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            ms.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        var element = result.MessageType == WebSocketMessageType.Text
            ? JsonDocument.Parse(ms.ToArray()).RootElement.Clone()
            : JsonDocument.Parse(JsonSerializer.Serialize(Convert.ToBase64String(ms.ToArray()))).RootElement.Clone();
        _received.Add(element);
        return element;
    }

    /// <summary>Tears the connection down with no close handshake, as a client that vanishes does.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        _socket.Dispose();
    }
}
