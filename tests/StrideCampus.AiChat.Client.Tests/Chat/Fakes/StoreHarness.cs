using System.Reactive.Concurrency;
using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>A store over a fake database and feed, notifying synchronously (ImmediateScheduler).</summary>
internal sealed class StoreHarness : IAsyncDisposable
{
    private StoreHarness(MessageStore store, FakeChatDatabase db, FakeChangeFeed feed, List<ChatChange> changes)
    {
        Store = store;
        Db = db;
        Feed = feed;
        Changes = changes;
    }

    public static Guid User { get; } = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    public MessageStore Store { get; }

    public FakeChatDatabase Db { get; }

    public FakeChangeFeed Feed { get; }

    /// <summary>Everything <see cref="MessageStore.Changes"/> emitted.</summary>
    public List<ChatChange> Changes { get; }

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
        options ??= new MessageStoreOptions();
        options.Scheduler ??= ImmediateScheduler.Instance;
        var store = new MessageStore(db, feed, User, options, relay: relay);
        var changes = new List<ChatChange>();
        store.Changes.Subscribe(c =>
        {
            lock (changes)
            {
                changes.Add(c);
            }
        });
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
