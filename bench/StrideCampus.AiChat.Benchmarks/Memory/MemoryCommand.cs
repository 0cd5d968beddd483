using System.Diagnostics;
using System.Globalization;
using System.Reactive.Concurrency;
using StrideCampus.AiChat.Benchmarks.Infrastructure;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Benchmarks.Memory;

/// <summary>
/// <c>memory</c>: 1,000,000 message events (plus the session creates and deletes around them) go through the
/// real decode path (<c>RealtimeClient.Dispatch</c>) into a MessageStore joined through LocalStack, spread
/// round-robin over 60 live sessions (three times the default cache bound of 20). Each session lives for 500
/// message events (200 inserts, 250 updates growing content, 50 deletes) and is then deleted and replaced, so
/// 2,000 sessions pass through the store. The cache bound is checked after every event; the heap after a full,
/// compacting GC at every 100,000 events.
/// </summary>
internal static class MemoryCommand
{
    private const int TotalMessageEvents = 1_000_000;
    private const int LiveSessions = 60;
    private const int InsertsPerSession = 200;
    private const int UpdatesPerSession = 250;
    private const int DeletesPerSession = 50;
    private const int EventsPerSession = InsertsPerSession + UpdatesPerSession + DeletesPerSession;
    private const int CheckpointEvery = 100_000;

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var server = await BenchServer.StartAsync(cancellationToken).ConfigureAwait(false);
        var user = await server.CreateUserAsync(null, cancellationToken).ConfigureAwait(false);
        var ids = await BindingIds.FetchAsync(server, user, cancellationToken).ConfigureAwait(false);
        await using var clients = new UserClients(server, user);
        var options = new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance };
        var (store, topic) = await clients.CreateStoreAsync(options, cancellationToken).ConfigureAwait(false);
        await using (store.ConfigureAwait(false))
        {
            var frames = new SyntheticFrames(topic, user, ids);
            var live = new LiveSession[LiveSessions];
            var sessionsCreated = 0;
            for (var i = 0; i < live.Length; i++)
            {
                // The first sessions get staggered, shorter lives, so sessions end at evenly spread times
                // and the checkpoints see a steady state rather than all sessions in the same phase.
                live[i] = NewSession(clients, frames, ++sessionsCreated, (i + 1) / (double)LiveSessions);
            }

            var checkpoints = new List<Checkpoint> { Measure(0, store, 0) };
            Console.WriteLine($"bound: MaxCachedSessions = {options.MaxCachedSessions}; {LiveSessions} live sessions, {EventsPerSession} message events each, {TotalMessageEvents:N0} message events in all");
            Print(checkpoints[0]);
            int maxCached = 0, maxMessages = 0;
            var watch = Stopwatch.StartNew();
            for (var n = 1; n <= TotalMessageEvents; n++)
            {
                var slot = n % LiveSessions;
                var session = live[slot];
                session.Next(clients, frames);
                if (session.IsDone)
                {
                    clients.Realtime.Dispatch(frames.SessionDelete(session.Id), binary: false);
                    live[slot] = NewSession(clients, frames, ++sessionsCreated, 1);
                }

                var stats = store.Current.Stats;
                maxCached = Math.Max(maxCached, stats.CachedSessionCount);
                maxMessages = Math.Max(maxMessages, stats.MessageCount);
                if (n % CheckpointEvery == 0)
                {
                    watch.Stop();
                    var checkpoint = Measure(n, store, watch.Elapsed.TotalSeconds);
                    checkpoints.Add(checkpoint);
                    Print(checkpoint);
                    watch.Start();
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            var final = store.Current.Stats;
            Console.WriteLine();
            Console.WriteLine("=== memory: 1,000,000 message events through Dispatch into one MessageStore ===");
            Console.WriteLine($"{sessionsCreated:N0} sessions created over the run; events applied {final.RealtimeEventsApplied:N0}, ignored {final.RealtimeEventsIgnored:N0} (evicted sessions' messages), evictions {final.CacheEvictions:N0}");
            Console.WriteLine($"throughput: {TotalMessageEvents / watch.Elapsed.TotalSeconds:N0} message events/s (frame building included)");
            var boundOk = maxCached <= options.MaxCachedSessions;
            Console.WriteLine($"cache bound: max cached sessions seen after any event {maxCached} (bound {options.MaxCachedSessions}), max messages in memory {maxMessages:N0} (bound {options.MaxCachedSessions * InsertsPerSession:N0}): {(boundOk ? "PASS" : "FAIL")}");
            // The first checkpoint after warm-up is the baseline: the store is full (every cache slot used) by then.
            var baseline = checkpoints[1].HeapBytes;
            var peak = checkpoints.Skip(1).Max(c => c.HeapBytes);
            var last = checkpoints[^1].HeapBytes;
            var heapOk = last <= baseline * 1.10 + (1 << 20) && peak <= baseline * 1.25 + (2 << 20);
            Console.WriteLine($"heap after full GC: {Mb(baseline)} at 100,000 events, peak {Mb(peak)}, {Mb(last)} at the end: {(heapOk ? "PASS" : "FAIL")} (does not grow: end <= +10% + 1 MB, peak <= +25% + 2 MB)");
            var ok = boundOk && heapOk && final.RealtimeEventsApplied > TotalMessageEvents / 10;
            Console.WriteLine(ok ? "memory: PASS" : "memory: FAIL");
            return ok ? 0 : 1;
        }
    }

    private static LiveSession NewSession(UserClients clients, SyntheticFrames frames, int number, double lifeFraction)
    {
        var session = new LiveSession(
            Guid.NewGuid(),
            Math.Max(1, (int)(InsertsPerSession * lifeFraction)),
            (int)(UpdatesPerSession * lifeFraction),
            (int)(DeletesPerSession * lifeFraction));
        clients.Realtime.Dispatch(frames.SessionInsert(session.Id, "memory " + number.ToString(CultureInfo.InvariantCulture), frames.Now()), binary: false);
        return session;
    }

    private static Checkpoint Measure(int events, MessageStore store, double seconds)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var stats = store.Current.Stats;
        return new Checkpoint(events, stats.SessionCount, stats.CachedSessionCount, stats.MessageCount, GC.GetTotalMemory(forceFullCollection: false), seconds);
    }

    private static void Print(Checkpoint c) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{c.Events,9:N0} events  {c.Seconds,6:F1} s  sessions {c.Sessions,3}  cached {c.Cached,3}  messages {c.Messages,6:N0}  heap {Mb(c.HeapBytes)}"));

    private static string Mb(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1 << 20),7:F2} MB");

    private sealed record Checkpoint(int Events, int Sessions, int Cached, int Messages, long HeapBytes, double Seconds);

    /// <summary>One session's scripted life: inserts, updates that grow content, deletes.</summary>
    private sealed class LiveSession(Guid id, int inserts, int updates, int deletes)
    {
        private readonly MessageSlot[] _messages = new MessageSlot[inserts];
        private int _step;

        public Guid Id { get; } = id;

        public bool IsDone => _step >= inserts + updates + deletes;

        public void Next(UserClients clients, SyntheticFrames frames)
        {
            var k = _step++;
            ReadOnlyMemory<byte> frame;
            if (k < inserts)
            {
                var at = frames.Now();
                var m = new MessageSlot(Guid.NewGuid(), at, "m" + k.ToString(CultureInfo.InvariantCulture), at);
                _messages[k] = m;
                frame = frames.MessageInsert(m.Id, Id, m.Content, at);
            }
            else if (k < inserts + updates)
            {
                var m = _messages[(k - inserts) % inserts];
                var content = m.Content + " tok";
                var at = frames.Now();
                frame = frames.MessageUpdate(m.Id, Id, content, m.Content, m.CreatedAt, m.UpdatedAt, at);
                m.Content = content;
                m.UpdatedAt = at;
            }
            else
            {
                frame = frames.MessageDelete(_messages[k - inserts - updates].Id);
            }

            clients.Realtime.Dispatch(frame, binary: false);
        }
    }

    private sealed class MessageSlot(Guid id, string createdAt, string content, string updatedAt)
    {
        public Guid Id { get; } = id;

        public string CreatedAt { get; } = createdAt;

        public string Content { get; set; } = content;

        public string UpdatedAt { get; set; } = updatedAt;
    }
}
