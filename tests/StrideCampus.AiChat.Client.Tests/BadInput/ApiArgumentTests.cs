using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;
using StrideCampus.AiChat.Client.Tests.Realtime;
using StrideCampus.AiChat.Client.Tests.Rest;

namespace StrideCampus.AiChat.Client.Tests.BadInput;

/// <summary>
/// Null, empty, whitespace, too long, unknown ids and disposed objects: each public API throws its documented
/// exception before anything is sent (a recording HTTP handler, a fake data source and a fake realtime server
/// that see no request).
/// </summary>
public sealed class ApiArgumentTests : RealtimeTestBase
{
    private static async Task ThrowsAsync<TException>(Func<Task> call)
        where TException : Exception => Assert.IsType<TException>(await Record.ExceptionAsync(call));

    private static void Throws<TException>(Action call)
        where TException : Exception => Assert.IsType<TException>(Record.Exception(call));

    [Fact]
    public async Task PostgrestClient_and_queries_refuse_bad_arguments_without_a_request()
    {
        var http = new RecordingHandler();
        using var httpClient = new HttpClient(http);
        var rest = new PostgrestClient(httpClient, new PostgrestClientOptions { Url = new Uri("http://rest.invalid"), ApiKey = "anon" });
        var type = RestTestJsonContext.Default.TestRow;
        var q = rest.From("t", type);

        Throws<ArgumentNullException>(() => new PostgrestClient(null!, new PostgrestClientOptions { Url = new Uri("http://x"), ApiKey = "k" }));
        Throws<ArgumentNullException>(() => new PostgrestClient(httpClient, null!));
        Throws<ArgumentException>(() => new PostgrestClient(httpClient, new PostgrestClientOptions { Url = new Uri("http://x"), ApiKey = " " }));
        Throws<ArgumentNullException>(() => rest.From(null!, type));
        Throws<ArgumentException>(() => rest.From("", type));
        Throws<ArgumentException>(() => rest.From("  ", type));
        Throws<ArgumentNullException>(() => rest.From<TestRow>("t", null!));
        Throws<ArgumentNullException>(() => q.Select(null!));
        Throws<ArgumentException>(() => q.Select(""));
        Throws<ArgumentNullException>(() => q.Eq(null!, "v"));
        Throws<ArgumentException>(() => q.Eq(" ", "v"));
        Throws<ArgumentNullException>(() => q.Eq("c", null!));
        Throws<ArgumentNullException>(() => q.Neq("c", null!));
        Throws<ArgumentNullException>(() => q.Like("c", null!));
        Throws<ArgumentNullException>(() => q.In("c", null!));
        Throws<ArgumentException>(() => q.In("c", ["a", null!]));
        Throws<ArgumentException>(() => q.Is("c", "maybe"));
        Throws<ArgumentNullException>(() => q.Or(null!));
        Throws<ArgumentException>(() => q.Or(" "));
        Throws<ArgumentNullException>(() => q.Order(null!));
        Throws<ArgumentOutOfRangeException>(() => q.Limit(-1));
        Throws<ArgumentOutOfRangeException>(() => q.Range(-1, 2));
        Throws<ArgumentOutOfRangeException>(() => q.Range(5, 2));
        await ThrowsAsync<ArgumentNullException>(() => q.InsertAsync((IEnumerable<TestRow>)null!));
        await ThrowsAsync<ArgumentNullException>(() => q.InsertAsync((TestRow)null!));
        await ThrowsAsync<ArgumentNullException>(() => q.UpsertAsync(null!));
        await ThrowsAsync<ArgumentException>(() => q.UpsertAsync([new TestRow(1, "a")], onConflict: " "));
        await ThrowsAsync<ArgumentNullException>(() => q.UpdateAsync(null!));
        await ThrowsAsync<ArgumentNullException>(() => rest.RpcAsync(null!, null, type));
        await ThrowsAsync<ArgumentException>(() => rest.RpcAsync(" ", null, type));
        await ThrowsAsync<ArgumentNullException>(() => rest.RpcAsync<TestRow>("f", null, null!));
        Assert.Empty(http.Requests);
    }

    [Fact]
    public async Task SupabaseAuthClient_refuses_bad_arguments_and_use_after_dispose_without_a_request()
    {
        var http = new RecordingHandler();
        using var httpClient = new HttpClient(http);
        var options = new SupabaseAuthOptions { Url = new Uri("http://auth.invalid"), ApiKey = "anon" };
        Throws<ArgumentNullException>(() => new SupabaseAuthClient(null!, options));
        Throws<ArgumentNullException>(() => new SupabaseAuthClient(httpClient, null!));
        Throws<ArgumentException>(() => new SupabaseAuthClient(httpClient, new SupabaseAuthOptions { Url = new Uri("http://x"), ApiKey = "" }));
        var auth = new SupabaseAuthClient(httpClient, options);
        foreach (var call in new Func<string, string, Task>[] { (e, p) => auth.SignUpAsync(e, p), (e, p) => auth.SignInWithPasswordAsync(e, p) })
        {
            await ThrowsAsync<ArgumentNullException>(() => call(null!, "password"));
            await ThrowsAsync<ArgumentException>(() => call("", "password"));
            await ThrowsAsync<ArgumentException>(() => call("   ", "password"));
            await ThrowsAsync<ArgumentNullException>(() => call("a@example.com", null!));
            await ThrowsAsync<ArgumentException>(() => call("a@example.com", ""));
        }

        // No session to refresh: a typed error, nothing sent.
        Assert.NotNull(await Record.ExceptionAsync(() => auth.RefreshSessionAsync()));
        await auth.DisposeAsync();
        await ThrowsAsync<ObjectDisposedException>(() => auth.SignInWithPasswordAsync("a@example.com", "password"));
        await ThrowsAsync<ObjectDisposedException>(() => auth.SignUpAsync("a@example.com", "password"));
        await ThrowsAsync<ObjectDisposedException>(() => auth.RefreshSessionAsync());
        await ThrowsAsync<ObjectDisposedException>(() => auth.SignOutAsync());
        Assert.Empty(http.Requests);
    }

    [Fact]
    public async Task RealtimeClient_and_channels_refuse_bad_arguments_and_use_after_dispose_without_connecting()
    {
        Throws<ArgumentNullException>(() => new RealtimeClient(null!));
        Throws<ArgumentNullException>(() => new RealtimeClient(new RealtimeClientOptions { Url = null!, ApiKey = "k" }));
        var relative = Assert.Throws<ArgumentException>(() => new RealtimeClient(new RealtimeClientOptions { Url = new Uri("/x", UriKind.Relative), ApiKey = "k" }));
        Assert.Contains("absolute", relative.Message, StringComparison.Ordinal);
        Assert.Contains("absolute", Assert.Throws<ArgumentException>(() => new PostgrestClient(new HttpClient(), new PostgrestClientOptions { Url = new Uri("ftp://x"), ApiKey = "k" })).Message, StringComparison.Ordinal);
        Throws<ArgumentException>(() => new RealtimeClient(new RealtimeClientOptions { Url = Server.Url, ApiKey = "" }));
        Throws<ArgumentException>(() => new RealtimeClient(new RealtimeClientOptions { Url = Server.Url, ApiKey = "k", HeartbeatInterval = TimeSpan.Zero }));
        var client = NewClient();
        Throws<ArgumentNullException>(() => client.Channel(null!));
        Throws<ArgumentException>(() => client.Channel(""));
        var channel = client.Channel("args");
        Throws<ArgumentNullException>(() => channel.OnPostgresChanges(null!));
        Throws<ArgumentException>(() => channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "")));
        Throws<ArgumentException>(() => channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "", "t")));
        Throws<ArgumentNullException>(() => channel.OnBroadcast(null!));
        Throws<ArgumentException>(() => channel.OnBroadcast(""));
        await ThrowsAsync<ArgumentException>(() => channel.SendBroadcastAsync("", Json("{}")));

        await channel.DisposeAsync();
        await ThrowsAsync<ObjectDisposedException>(() => channel.SubscribeAsync());
        Throws<ObjectDisposedException>(() => channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "t")));
        await client.DisposeAsync();
        Throws<ObjectDisposedException>(() => client.Channel("after"));
        await ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
        await ThrowsAsync<ObjectDisposedException>(() => client.SetAuthAsync("t"));
        Assert.Equal(0, Server.ConnectionCount);
    }

    [Fact]
    public async Task RealtimeAIChats_refuses_bad_arguments_and_use_after_dispose()
    {
        var client = NewClient();
        await ThrowsAsync<ArgumentNullException>(() => RealtimeAIChats.CreateAsync(null!, null, Guid.NewGuid()));
        await ThrowsAsync<ArgumentException>(() => RealtimeAIChats.CreateAsync(client, null, Guid.Empty));
        await ThrowsAsync<ArgumentException>(() => RealtimeAIChats.CreateAsync(client, null, Guid.NewGuid(), new RealtimeAIChatsOptions { SessionId = Guid.Empty }));
        var chats = new RealtimeAIChats(client, Guid.NewGuid());
        await chats.DisposeAsync();
        await ThrowsAsync<ObjectDisposedException>(() => chats.StartAsync());
        await ThrowsAsync<ArgumentNullException>(() => MessageStore.CreateAsync(null!, client, Guid.NewGuid()));
        await ThrowsAsync<ArgumentException>(() => MessageStore.CreateAsync(new PostgrestClient(new HttpClient(new RecordingHandler()), new PostgrestClientOptions { Url = Server.Url, ApiKey = "k" }), client, Guid.Empty));
        Assert.Equal(0, Server.ConnectionCount);
    }

    [Fact]
    public async Task MessageStore_refuses_bad_arguments_unknown_ids_and_use_after_dispose_before_any_write()
    {
        ChatSession session = null!;
        ChatMessage message = null!;
        var h = await StoreHarness.StartAsync(db =>
        {
            session = db.SeedSession("seeded", active: true);
            message = db.SeedMessage(session.Id, "hello");
        });
        await h.Store.LoadMessagesAsync(session.Id);
        var unknown = Guid.NewGuid();
        var tooLong = new string('x', 100_001);
        var calls = h.Db.Calls.Values.Sum();
        var before = h.Dump();

        await ThrowsAsync<ArgumentException>(() => h.Store.CreateSessionAsync(""));
        await ThrowsAsync<ArgumentException>(() => h.Store.CreateSessionAsync("   "));
        await ThrowsAsync<ArgumentException>(() => h.Store.CreateSessionAsync(new string('t', 201)));
        await ThrowsAsync<ArgumentNullException>(() => h.Store.RenameSessionAsync(session.Id, null!));
        await ThrowsAsync<ArgumentException>(() => h.Store.RenameSessionAsync(session.Id, ""));
        await ThrowsAsync<ArgumentException>(() => h.Store.RenameSessionAsync(session.Id, new string('t', 201)));
        await ThrowsAsync<ArgumentException>(() => h.Store.RenameSessionAsync(unknown, "renamed"));
        await ThrowsAsync<ArgumentException>(() => h.Store.SwitchToSessionAsync(unknown));
        await ThrowsAsync<ArgumentException>(() => h.Store.SwitchToSessionAsync(Guid.Empty));
        await ThrowsAsync<ArgumentException>(() => h.Store.DeleteSessionAsync(unknown));
        await ThrowsAsync<ArgumentNullException>(() => h.Store.AddMessageAsync(session.Id, null!));
        await ThrowsAsync<ArgumentException>(() => h.Store.AddMessageAsync(session.Id, tooLong));
        await ThrowsAsync<ArgumentException>(() => h.Store.AddMessageAsync(unknown, "hi"));
        await ThrowsAsync<ArgumentException>(() => h.Store.AddMessageAsync(Guid.Empty, "hi"));
        await ThrowsAsync<ArgumentException>(() => h.Store.UpdateMessageAsync(message.Id));
        await ThrowsAsync<ArgumentException>(() => h.Store.UpdateMessageAsync(message.Id, content: tooLong));
        await ThrowsAsync<ArgumentNullException>(() => h.Store.StreamAssistantReplyAsync(session.Id, (IAsyncEnumerable<string>)null!));
        await ThrowsAsync<ArgumentException>(() => h.Store.StreamAssistantReplyAsync(unknown, Tokens()));
        await ThrowsAsync<ArgumentException>(() => h.Store.LoadMessagesAsync(unknown));
        Assert.Equal(calls, h.Db.Calls.Values.Sum());
        Assert.Equal(before, h.Dump());

        // An unknown message id may be a message the bounded cache does not hold: the server decides, and a
        // miss is the typed error, with nothing changed.
        var e = await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.UpdateMessageAsync(unknown, content: "x"));
        Assert.Equal(ChatOperation.UpdateMessage, e.Operation);
        Assert.Equal(before, h.Dump());

        await h.Store.DisposeAsync();
        calls = h.Db.Calls.Values.Sum();
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.CreateSessionAsync("x"));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.RenameSessionAsync(session.Id, "x"));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.SwitchToSessionAsync(session.Id));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.DeleteSessionAsync(session.Id));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.ClearAllSessionsAsync());
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.AddMessageAsync(session.Id, "x"));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.UpdateMessageAsync(message.Id, "x"));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.DeleteMessageAsync(message.Id));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.StreamAssistantReplyAsync(session.Id, Tokens()));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.LoadMessagesAsync(session.Id));
        await ThrowsAsync<ObjectDisposedException>(() => h.Store.RefreshAsync());
        Assert.Equal(calls, h.Db.Calls.Values.Sum());
    }

    private static async IAsyncEnumerable<string> Tokens()
    {
        await Task.Yield();
        yield return "x";
    }
}
