using System.Diagnostics;
using System.Text;
using StrideCampus.AiChat.Client.Realtime;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class DecodeAllocationTests(ITestOutputHelper output) : RealtimeTestBase
{
    private const string Row = """{"id":"0b6f3c1e-5d2a-4c1f-9a7e-3d2b1c0a9f8e","session_id":"5f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f","user_id":"9e8d7c6b-5a49-4837-a625-1f0e9d8c7b6a","content":"Hello there, how can I help you today?","is_user":false,"status":"complete","created_at":"2026-11-25T04:59:15.180117+00:00","updated_at":"2026-11-25T04:59:15.180117+00:00","metadata":{}}""";

    [Fact]
    public async Task Decoding_a_postgres_change_allocates_well_under_1_KB_beyond_its_row_images()
    {
        var client = NewClient();
        var channel = client.Channel("bench");
        var count = 0;
        using var subscription = channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "ai_chat_messages"))
            .Subscribe(new CountingObserver(() => count++));
        var (_, join) = await SubscribeAsync(channel, JoinResponse((38606455, "*", "ai_chat_messages", null)));

        var frame = Encoding.UTF8.GetBytes(
            $"[\"{join.Ref}\",null,\"realtime:bench\",\"postgres_changes\",{{\"ids\":[38606455],\"data\":{{\"columns\":[{{\"name\":\"id\",\"type\":\"uuid\"}},{{\"name\":\"content\",\"type\":\"text\"}}]," +
            $"\"commit_timestamp\":\"2026-11-25T04:59:15.180Z\",\"errors\":null,\"old_record\":{Row},\"record\":{Row},\"schema\":\"public\",\"table\":\"ai_chat_messages\",\"type\":\"UPDATE\"}}}}]");
        for (var i = 0; i < 2_000; i++)
        {
            client.Dispatch(frame, binary: false);
        }

        const int events = 100_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < events; i++)
        {
            client.Dispatch(frame, binary: false);
        }

        watch.Stop();
        var perEvent = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)events;

        // The two row images are copied (they outlive the frame): that is the payload.
        var payload = 2 * (Encoding.UTF8.GetByteCount(Row) + 24);
        var beyond = perEvent - payload;
        output.WriteLine($"{events / watch.Elapsed.TotalSeconds:N0} events/s, {perEvent:N0} B allocated per event, {beyond:N0} B beyond the {payload} B of row images, frame {frame.Length} B");
        Assert.Equal(events + 2_000, count);
        Assert.True(beyond < 1024, $"{beyond:N0} B per event beyond the payload");
    }

    private sealed class CountingObserver(Action onNext) : IObserver<PostgresChangeEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(PostgresChangeEvent value) => onNext();
    }
}
