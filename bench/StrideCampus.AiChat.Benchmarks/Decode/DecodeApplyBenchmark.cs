using System.Globalization;
using System.Reactive.Concurrency;
using BenchmarkDotNet.Attributes;
using StrideCampus.AiChat.Benchmarks.Infrastructure;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Benchmarks.Decode;

/// <summary>
/// One operation = the 100,000 recorded frames decoded by <c>RealtimeClient.Dispatch</c> and applied to a fresh,
/// joined <see cref="MessageStore"/> (a new store per iteration: deletes leave tombstones, so a store cannot
/// replay the same inserts twice). The store is joined through LocalStack with the recording's user, so the
/// binding ids LocalStack assigns equal those in the frames. Three stores: default options and nobody observing
/// the state (it is built when read); default options and a <see cref="MessageStore.StateChanges"/> observer on
/// the task pool (a UI: states coalesce per burst); and <see cref="ImmediateScheduler"/>, which builds and
/// publishes a state after every change.
/// </summary>
[MemoryDiagnoser]
public class DecodeApplyBenchmark
{
    private BenchServer? _server;
    private UserClients? _clients;
    private MessageStore? _store;
    private IDisposable? _stateSubscription;
    private long _states;
    private RealtimeChatChangeFeed? _mapFeed;
    private IDisposable? _mapSubscription;
    private readonly Dictionary<Guid, ChatMessage> _map = [];
    private int _mapEvents;

    /// <summary>Set by the decode command before BenchmarkDotNet runs (in-process).</summary>
    internal static FrameRecording? Recording { get; set; }

    internal static ReplayFrames? Replay { get; set; }

    /// <summary>What the last iteration's store ended with, for the command to print.</summary>
    internal static string? LastVerification { get; private set; }

    /// <summary>States the observed store published in its last iteration.</summary>
    internal static long LastObservedStates { get; private set; }

    [GlobalSetup]
    public void Setup() => SetupAsync(CancellationToken.None).GetAwaiter().GetResult();

    [IterationSetup(Target = nameof(DecodeAndApply))]
    public void CreateStore() => CreateStore(new MessageStoreOptions(), observe: false);

    [IterationSetup(Target = nameof(DecodeAndApplyObserved))]
    public void CreateObservedStore() => CreateStore(new MessageStoreOptions(), observe: true);

    [IterationSetup(Target = nameof(DecodeAndApplyEager))]
    public void CreateEagerStore() => CreateStore(new MessageStoreOptions { Scheduler = ImmediateScheduler.Instance }, observe: false);

    [Benchmark(Description = "decode+apply 100,000 recorded postgres_changes")]
    public int DecodeAndApply() => Replay100k();

    [Benchmark(Description = "decode+apply, state observed on the task pool")]
    public int DecodeAndApplyObserved()
    {
        var events = Replay100k();
        _ = _store!.Current.Version; // the last state, as a UI reading it after the burst would
        return events;
    }

    [Benchmark(Description = "decode+apply, a state after every change (ImmediateScheduler)")]
    public int DecodeAndApplyEager() => Replay100k();

    private int Replay100k()
    {
        var realtime = _clients!.Realtime;
        var frames = Replay!.Frames;
        for (var i = 0; i < frames.Length; i++)
        {
            realtime.Dispatch(frames[i], binary: false);
        }

        return frames.Length;
    }

    private void CreateStore(MessageStoreOptions options, bool observe)
    {
        var (store, topic) = _clients!.CreateStoreAsync(options, CancellationToken.None).GetAwaiter().GetResult();
        // A store opens with a page and ignores changes of messages it does not hold: open every session first, as a
        // store that has shown them all would have.
        foreach (var session in store.GetSessions())
        {
            store.LoadMessagesAsync(session.Id).GetAwaiter().GetResult();
        }

        _store = store;
        _states = 0;
        _stateSubscription = observe ? store.StateChanges.Subscribe(_ => Interlocked.Increment(ref _states)) : null;
        Replay!.SetTopic(topic);
    }

    [Benchmark(Description = "decode+map 100,000 recorded postgres_changes into a Dictionary")]
    public int DecodeAndMap() => Replay100k();

    [IterationSetup(Target = nameof(DecodeAndMap))]
    public void ResetMap()
    {
        _map.Clear();
        _mapEvents = 0;
        Replay!.SetTopic("realtime:" + _mapFeed!.ChannelName);
    }

    [IterationCleanup(Target = nameof(DecodeAndMap))]
    public void VerifyMap()
    {
        if (!IsReplayCount(_mapEvents, Recording!.Header) || _map.Count != Recording.Header.ExpectedMessages)
        {
            throw new InvalidOperationException($"the frames did not reach the map: {_mapEvents} events, {_map.Count} rows");
        }
    }

    [IterationCleanup(Targets = [nameof(DecodeAndApply), nameof(DecodeAndApplyObserved), nameof(DecodeAndApplyEager)])]
    public void VerifyAndDisposeStore()
    {
        var store = _store!;
        _store = null;
        if (_stateSubscription is not null)
        {
            _stateSubscription.Dispose();
            _stateSubscription = null;
            LastObservedStates = Interlocked.Read(ref _states);
        }

        try
        {
            LastVerification = Verify(store.Current, Recording!.Header);
        }
        finally
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _mapSubscription?.Dispose();
        _mapFeed?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _clients?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Fails the run when the frames did not reach the store (so it cannot measure nothing).</summary>
    internal static string Verify(MessageStoreState state, FrameRecordingHeader header)
    {
        var stats = state.Stats;
        var messages = state.Sessions.SelectMany(s => s.Messages).ToList();
        var wrong = messages.Count(m => !m.Content.EndsWith(header.ExpectedContentSuffix, StringComparison.Ordinal) || m.Status != MessageStatus.Complete);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"store after replay: {stats.MessageCount:N0} messages in {stats.SessionCount} sessions, {stats.RealtimeEventsApplied:N0} events applied, {stats.RealtimeEventsIgnored:N0} ignored, {wrong} with unexpected content");
        if (stats.MessageCount != header.ExpectedMessages || !IsReplayCount(stats.RealtimeEventsApplied, header) || wrong != 0)
        {
            throw new InvalidOperationException("the frames did not reach the store as expected: " + summary);
        }

        return summary;
    }

    private static bool IsReplayCount(long events, FrameRecordingHeader header) => events == header.FrameCount;

    private async Task SetupAsync(CancellationToken cancellationToken)
    {
        var header = Recording!.Header;
        _server = await BenchServer.StartAsync(cancellationToken).ConfigureAwait(false);
        // Same user id and filters as the recording: LocalStack's binding ids (a hash of them) match the frames'.
        await _server.CreateUserAsync(header.UserId, cancellationToken).ConfigureAwait(false);
        // The sessions are inserted while their table is out of the realtime publication, so no live event for
        // them reaches the client: the replay calls Dispatch on this thread, and a live frame handled meanwhile
        // on the socket's receive loop would share the client's single-threaded decode buffers.
        await _server.ExecuteAsync("alter publication supabase_realtime drop table public.ai_chat_sessions", cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < header.SessionIds.Length; i++)
        {
            await _server.ExecuteAsync(
                "insert into public.ai_chat_sessions (id, user_id, title) values ($1, $2, $3)", cancellationToken,
                header.SessionIds[i], header.UserId, "bench " + i.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        }

        await _server.ExecuteAsync("alter publication supabase_realtime add table public.ai_chat_sessions", cancellationToken).ConfigureAwait(false);

        _clients = new UserClients(_server, header.UserId);
        _mapFeed = new RealtimeChatChangeFeed(_clients.Realtime, header.UserId, null, null);
        _mapSubscription = _mapFeed.Changes.Subscribe(ApplyToMap);
        await _mapFeed.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private void ApplyToMap(ChatChange change)
    {
        _mapEvents++;
        switch (change)
        {
            case MessageChange m:
                _map[change.Id] = m.Message;
                break;
            case MessageDeletion:
                _map.Remove(change.Id);
                break;
        }
    }
}
