using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Testing;

namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>
/// A store over a fake database and feed, on the production default scheduler unless the options name one: its
/// <see cref="MessageStore.Changes"/> arrive on the task pool, so tests wait for them (<see cref="WaitForChangesAsync"/>)
/// and prove an absence with <see cref="SettledChangesAsync"/>, never by reading at once.
/// </summary>
internal sealed class StoreHarness : IAsyncDisposable
{
    private readonly Recorder<ChatChange> _changes;

    private StoreHarness(MessageStore store, FakeChatDatabase db, FakeChangeFeed feed, Recorder<ChatChange> changes)
    {
        Store = store;
        Db = db;
        Feed = feed;
        _changes = changes;
    }

    public static Guid User { get; } = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    public MessageStore Store { get; }

    public FakeChatDatabase Db { get; }

    public FakeChangeFeed Feed { get; }

    /// <summary>What <see cref="MessageStore.Changes"/> delivered so far (a copy; more may be on the way).</summary>
    public IReadOnlyList<ChatChange> Changes => _changes.Items;

    /// <summary>Forgets the changes delivered so far.</summary>
    public void ClearChanges() => _changes.Clear();

    /// <summary>Waits until the delivered changes satisfy <paramref name="condition"/>; returns them.</summary>
    public async Task<IReadOnlyList<ChatChange>> WaitForChangesAsync(Func<IReadOnlyList<ChatChange>, bool> condition, string what)
    {
        await _changes.WaitForAsync(condition, what);
        return _changes.Items;
    }

    /// <summary>
    /// The changes delivered before now, once every one of them has arrived: another client creates a session (a
    /// marker) and the marker's change is awaited; <see cref="MessageStore.Changes"/> keeps order, so whatever the
    /// store emitted earlier came first. The marker stays in the store: call this last, or count it.
    /// </summary>
    public async Task<IReadOnlyList<ChatChange>> SettledChangesAsync()
    {
        var marker = Db.SeedSession("marker");
        Feed.Emit(ChatChange.Created(marker));
        var all = await WaitForChangesAsync(c => c.Any(x => x.Id == marker.Id), "the marker's change");
        return [.. all.TakeWhile(c => c.Id != marker.Id)];
    }

    /// <summary>
    /// A store opened over the seeded database. With <paramref name="openAll"/> (the default) every session's messages
    /// are then loaded as an app opening each would (the store itself loads only the active one's), and the call counts
    /// start from zero after that.
    /// </summary>
    public static async Task<StoreHarness> StartAsync(Action<FakeChatDatabase>? seed = null, MessageStoreOptions? options = null, IStreamRelay? relay = null, bool openAll = true)
    {
        var feed = new FakeChangeFeed();
        var db = new FakeChatDatabase(User, feed);
        seed?.Invoke(db);
        var store = new MessageStore(db, feed, User, options ?? new MessageStoreOptions(), relay: relay);
        var changes = store.Changes.Record();
        await store.InitializeAsync(CancellationToken.None);
        if (openAll)
        {
            foreach (var session in store.Current.Sessions)
            {
                await store.LoadMessagesAsync(session.Id);
            }

            db.Calls.Clear();
        }

        return new StoreHarness(store, db, feed, changes);
    }

    public ChatSessionState Session(Guid id) => Store.GetSessionById(id) ?? throw new InvalidOperationException($"no session {id}");

    /// <summary>The store's sessions and messages as plain rows, comparable with the database snapshot.</summary>
    public string Dump() => DumpState(Store.Current);

    public static string DumpState(MessageStoreState state) => string.Join("\n", state.Sessions.Select(s =>
        $"{s.Id}|{s.Title}|{s.IsActive}|{s.Session.CreatedAt:O}|{s.Session.UpdatedAt:O}" +
        string.Concat(s.Messages.Select(m => $"\n  {m.Id}|{m.Content}|{m.Status}|{m.IsUser}|{m.CreatedAt:O}|{m.UpdatedAt:O}"))));

    public string DumpDb() => string.Join("\n", Db.Snapshot().Select(s =>
        $"{s.Id}|{s.Title}|{s.IsActive}|{s.CreatedAt:O}|{s.UpdatedAt:O}" +
        string.Concat(s.AiChatMessages!.Select(m => $"\n  {m.Id}|{m.Content}|{m.Status}|{m.IsUser}|{m.CreatedAt:O}|{m.UpdatedAt:O}"))));

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
