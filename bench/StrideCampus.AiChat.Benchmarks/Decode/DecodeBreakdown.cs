using System.Diagnostics;
using System.Text.Json;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Protocol;
using StrideCampus.AiChat.Client.Realtime.Rows;

namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>
/// <c>decode-breakdown</c>: the decode path's stages run one after another on the recording, without a server
/// or socket, with the time and bytes each cumulative stage costs per event: frame decode, payload parse (row
/// images located in place), row mapping (the feed), store apply with its snapshot. For finding where the cost is.
/// </summary>
internal static class DecodeBreakdown
{
    public static int Run()
    {
        var recording = FrameRecording.TryLoad(FrameRecording.DefaultPath)
            ?? throw new InvalidOperationException("no recording yet: run the decode command once");
        var frames = recording.Frames.Select(f => System.Text.Encoding.UTF8.GetBytes(f)).ToArray();
        var header = recording.Header;
        for (var round = 0; round < 3; round++)
        {
            Console.WriteLine($"round {round + 1}");
            Stage("frame decode", frames, header, 1);
            Stage("+ payload parse", frames, header, 2);
            Stage("+ row mapping", frames, header, 3);
            Stage("+ store apply", frames, header, 4);
            Stage("+ store snapshot", frames, header, 5);
        }

        return 0;
    }

    private static void Stage(string name, byte[][] frames, FrameRecordingHeader header, int depth)
    {
        var serializer = new PhoenixSerializer(RealtimeSerializerVersion.V2);
        var names = new Utf8StringCache();
        var ids = new List<long>();
        var parsed = new PostgresChangeFrame();
        var core = new MessageStoreCore(header.UserId, 20, TimeSpan.FromMinutes(30));
        var now = DateTimeOffset.UtcNow;
        foreach (var id in header.SessionIds)
        {
            core.Apply(new StoreEvent.SessionConfirmed(new ChatSession(id, header.UserId, "s", false, now, now), IsNew: true));
        }

        var counters = new StoreCounters();
        GC.Collect();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        foreach (var frame in frames)
        {
            var decoded = serializer.DecodeText(frame);
            if (depth < 2)
            {
                continue;
            }

            PostgresChangeParser.Parse(decoded.Payload, parsed, ids, names);
            if (depth < 3)
            {
                continue;
            }

            // Deletes arrive as inserts of the deletion log, which the feed maps on its own binding.
            var row = new RowChange(parsed);
            var mapped = row.Table == "ai_chat_deletions" ? RealtimeChatChangeFeed.MapDeletion(row) : RealtimeChatChangeFeed.Map(row, isSession: false);
            if (depth < 4 || mapped is null)
            {
                continue;
            }

            core.Apply(new StoreEvent.RealtimeChange(mapped));
            if (depth >= 5)
            {
                core.Snapshot(false, true, true, counters);
            }
        }

        watch.Stop();
        var perEvent = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)frames.Length;
        Console.WriteLine($"  {name,-18} {frames.Length / watch.Elapsed.TotalSeconds,10:N0} events/s {perEvent,7:N0} B/event");
    }
}
