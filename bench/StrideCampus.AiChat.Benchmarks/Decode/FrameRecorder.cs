using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.Benchmarks.Infrastructure;

namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>
/// Records the decode benchmark's frames: a raw ClientWebSocket subscriber (serializer 2.0.0) joins LocalStack
/// with the same two postgres_changes bindings a <c>MessageStore</c> asks for, while bulk SQL writes one user's
/// messages: 12,000 INSERTs, 8 rounds of UPDATEs growing 10,000 of them (a streamed reply growing), then 8,000
/// DELETEs, which reach the subscriber as 8,000 inserts of the user's deletion log. 100,000 frames; 4,000 messages
/// remain, each ending with " token8". Each batch's frames are awaited before the next batch is written: the server
/// checks a change's visibility against the row as it is when the change is dispatched (as supabase/realtime does),
/// so an update still queued when its row is deleted would never be sent, and a dispatcher far behind sheds changes.
/// </summary>
internal static class FrameRecorder
{
    public const string Topic = "realtime:bench";
    private const int Sessions = 10;
    private const int Inserted = 12_000;
    private const int Updated = 10_000;
    private const int UpdateRounds = 8;
    private const int Remaining = 4_000;
    private const int Batch = 2_000;
    private const int ExpectedFrames = Inserted + Updated * UpdateRounds + (Inserted - Remaining);

    public static async Task<FrameRecording> RecordAsync(BenchServer server, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var user = await server.CreateUserAsync(null, cancellationToken).ConfigureAwait(false);
        var sessions = new Guid[Sessions];
        for (var i = 0; i < Sessions; i++)
        {
            sessions[i] = Guid.NewGuid();
            await server.ExecuteAsync(
                "insert into public.ai_chat_sessions (id, user_id, title) values ($1, $2, $3)", cancellationToken,
                sessions[i], user, "bench " + i.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(
            new Uri($"ws://{server.ApiUrl.Authority}/realtime/v1/websocket?apikey={server.AnonKey}&vsn=2.0.0"), cancellationToken).ConfigureAwait(false);
        var frames = new List<string>(ExpectedFrames);
        var joinReply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var complete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiver = Task.Run(() => ReceiveAsync(socket, frames, joinReply, subscribed, complete, stop.Token), CancellationToken.None);
        using var sendLock = new SemaphoreSlim(1);
        await SendAsync(socket, sendLock, BindingIds.JoinFrame(Topic, user, server.Token(user)), cancellationToken).ConfigureAwait(false);
        var heartbeats = Task.Run(() => HeartbeatAsync(socket, sendLock, stop.Token), CancellationToken.None);
        try
        {
            var bindings = await joinReply.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            await WriteAsync(server, user, sessions, count => WaitForFramesAsync(frames, count, cancellationToken), cancellationToken).ConfigureAwait(false);
            await complete.Task.WaitAsync(TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
            await Task.Delay(500, cancellationToken).ConfigureAwait(false); // nothing more should arrive
            Console.WriteLine($"recorded {frames.Count:N0} frames in {watch.Elapsed.TotalSeconds:F1} s");
            lock (frames)
            {
                if (frames.Count != ExpectedFrames)
                {
                    throw new InvalidOperationException($"recorded {frames.Count} frames, expected {ExpectedFrames}");
                }

                return new FrameRecording(
                    new FrameRecordingHeader(FrameRecording.FormatVersion, user, sessions, Topic, bindings, ExpectedFrames, Remaining, " token8"),
                    [.. frames]);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(receiver, heartbeats).ConfigureAwait(false);
            if (socket.State == WebSocketState.Open)
            {
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", closing.Token).ConfigureAwait(false);
            }
        }
    }

    private static async Task WaitForFramesAsync(List<string> frames, int count, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            int received;
            lock (frames)
            {
                received = frames.Count;
            }

            if (received >= count)
            {
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException($"received {received} frames, waiting for {count}");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteAsync(BenchServer server, Guid user, Guid[] sessions, Func<int, Task> received, CancellationToken cancellationToken)
    {
        var expected = 0;
        // metadata.n numbers the messages so later statements can pick them; status streaming until the last round.
        for (var from = 1; from <= Inserted; from += Batch)
        {
            await server.ExecuteAsync(
                """
                insert into public.ai_chat_messages (session_id, user_id, content, is_user, status, metadata)
                select ($1::uuid[])[1 + (g - 1) % array_length($1::uuid[], 1)], $2, 'message ' || g, g % 2 = 1, 'streaming', jsonb_build_object('n', g)
                from generate_series($3::int, $4::int) g
                """,
                cancellationToken, sessions, user, from, from + Batch - 1).ConfigureAwait(false);
            await received(expected += Batch).ConfigureAwait(false);
        }

        for (var round = 1; round <= UpdateRounds; round++)
        {
            for (var from = 1; from <= Updated; from += Batch)
            {
                await server.ExecuteAsync(
                    """
                    update public.ai_chat_messages
                    set content = content || ' token' || $2::int, status = case when $2::int = 8 then 'complete' else 'streaming' end
                    where user_id = $1 and (metadata->>'n')::int between $3::int and $4::int
                    """,
                    cancellationToken, user, round, from, from + Batch - 1).ConfigureAwait(false);
                await received(expected += Batch).ConfigureAwait(false);
            }
        }

        for (var from = Remaining + 1; from <= Inserted; from += Batch)
        {
            await server.ExecuteAsync(
                "delete from public.ai_chat_messages where user_id = $1 and (metadata->>'n')::int between $2::int and $3::int",
                cancellationToken, user, from, from + Batch - 1).ConfigureAwait(false);
            await received(expected += Batch).ConfigureAwait(false);
        }
    }

    private static async Task ReceiveAsync(
        ClientWebSocket socket, List<string> frames, TaskCompletionSource<string> joinReply, TaskCompletionSource subscribed,
        TaskCompletionSource complete, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                using var doc = JsonDocument.Parse(buffer.AsMemory(0, length));
                var root = doc.RootElement;
                switch (root[3].GetString())
                {
                    case "postgres_changes":
                        lock (frames)
                        {
                            frames.Add(Encoding.UTF8.GetString(buffer, 0, length));
                            if (frames.Count == ExpectedFrames)
                            {
                                complete.TrySetResult();
                            }
                        }

                        break;
                    case "phx_reply" when root[1].GetString() == "1":
                        var payload = root[4];
                        if (payload.GetProperty("status").GetString() != "ok")
                        {
                            joinReply.TrySetException(new InvalidOperationException("join refused: " + payload.GetRawText()));
                        }
                        else
                        {
                            joinReply.TrySetResult(payload.GetProperty("response").GetProperty("postgres_changes").GetRawText());
                        }

                        break;
                    case "system" when root[4].TryGetProperty("status", out var status):
                        if (status.GetString() == "ok")
                        {
                            subscribed.TrySetResult();
                        }
                        else
                        {
                            subscribed.TrySetException(new InvalidOperationException("subscription failed: " + root[4].GetRawText()));
                        }

                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException ex)
        {
            complete.TrySetException(ex);
        }
    }

    private static async Task HeartbeatAsync(ClientWebSocket socket, SemaphoreSlim sendLock, CancellationToken cancellationToken)
    {
        try
        {
            for (var n = 1; ; n++)
            {
                await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
                await SendAsync(socket, sendLock, $"[null,\"hb{n}\",\"phoenix\",\"heartbeat\",{{}}]", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task SendAsync(ClientWebSocket socket, SemaphoreSlim sendLock, string text, CancellationToken cancellationToken)
    {
        await sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sendLock.Release();
        }
    }
}
