using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;

namespace StrideCampus.AiChat.Client.Tests.Chat;

public class ChatLoggingTests
{
    private sealed class Capture : ILoggerFactory, ILogger
    {
        public List<(int Id, LogLevel Level, string Text)> Events { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Events)
            {
                Events.Add((eventId.Id, logLevel, formatter(state, exception)));
            }
        }
    }

    [Fact]
    public async Task Subscription_failure_changes_rollbacks_and_streams_are_logged_with_stable_ids()
    {
        var log = new Capture();
        var feed = new FakeChangeFeed { StartError = new TimeoutException("join timed out") };
        await using (var chats = new RealtimeAIChats(feed, null, StoreHarness.User, null, log))
        {
            await Assert.ThrowsAsync<ChatOperationException>(() => chats.StartAsync());
            feed.SetStatus(ChatConnectionState.Connected);
            feed.Emit(ChatChange.MessageRemoved(Guid.NewGuid()));
        }

        Assert.Contains(log.Events, e => e.Id == 6002 && e.Level == LogLevel.Warning); // subscription failed
        Assert.Contains(log.Events, e => e.Id == 6001 && e.Text.Contains("Connected", StringComparison.Ordinal)); // status
        Assert.Contains(log.Events, e => e.Id == 6011); // a delete that is not ours

        var feed2 = new FakeChangeFeed();
        var db = new FakeChatDatabase(StoreHarness.User, feed2);
        var s = db.SeedSession("s");
        await using var store = new MessageStore(db, feed2, StoreHarness.User, new MessageStoreOptions(), log);
        await store.InitializeAsync(CancellationToken.None);
        db.EmitChanges = true;
        await store.AddMessageAsync(s.Id, "secret content");
        db.BeforeCall = name => name == nameof(IChatDataSource.UpdateSessionAsync) ? Task.FromException(new InvalidOperationException("refused")) : Task.CompletedTask;
        await Assert.ThrowsAsync<ChatOperationException>(() => store.RenameSessionAsync(s.Id, "x"));
        db.BeforeCall = null;
        await store.StreamAssistantReplyAsync(s.Id, Tokens());

        Assert.Contains(log.Events, e => e.Id == 6020); // loaded
        Assert.Contains(log.Events, e => e.Id == 6024 && e.Level == LogLevel.Warning); // rolled back
        Assert.Contains(log.Events, e => e.Id == 6030); // stream started
        Assert.Contains(log.Events, e => e.Id == 6031); // stream completed
        Assert.DoesNotContain(log.Events, e => e.Text.Contains("secret content", StringComparison.Ordinal) || e.Text.Contains("tok1", StringComparison.Ordinal));
        Assert.Equal(
            log.Events.Select(e => e.Id).Distinct().Order(),
            log.Events.Select(e => e.Id).Distinct().Where(id => id is >= 6000 and < 6100).Order());
    }

    private static async IAsyncEnumerable<string> Tokens()
    {
        await Task.Yield();
        yield return "tok1";
        yield return "tok2";
    }
}
