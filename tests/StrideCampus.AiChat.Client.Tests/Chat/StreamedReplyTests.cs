using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Tests.Chat.Fakes;
using ChatMessage = StrideCampus.AiChat.Client.Chat.ChatMessage;

namespace StrideCampus.AiChat.Client.Tests.Chat;

public class StreamedReplyTests
{
    [Fact]
    public async Task A_fast_reply_is_coalesced_into_few_writes_and_ends_complete_with_the_exact_text()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"), new MessageStoreOptions { MaxStreamWritesPerSecond = 10 });
        var tokens = Enumerable.Range(0, 400).Select(i => $"w{i} ").ToList();
        var expected = string.Concat(tokens);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var row = await h.Store.StreamAssistantReplyAsync(s.Id, TokenStream.Paced(tokens, TimeSpan.FromMilliseconds(1)));
        sw.Stop();

        Assert.Equal(expected, row.Content);
        Assert.Equal(MessageStatus.Complete, row.Status);
        Assert.False(row.IsUser);
        var writes = h.Db.MessageWrites.Count;
        // at most one write per 100 ms (+ the first and the final one)
        Assert.InRange(writes, 2, (int)(sw.Elapsed.TotalSeconds * 10) + 2);
        // Coalesced: many tokens per write. The bound is loose because a loaded machine stretches the 400 ms stream
        // (7 s once, 46 writes at the configured 10 a second); the line above holds the rate itself.
        Assert.True(writes < tokens.Count / 4, $"{writes} writes for {tokens.Count} tokens in {sw.Elapsed}");
        Assert.Equal(1, h.Db.MaxConcurrentWrites);
        // each write carried the full content so far (a growing prefix), the last one the exact text
        Assert.All(h.Db.MessageWrites, w => Assert.StartsWith(w, expected, StringComparison.Ordinal));
        Assert.Equal(expected, h.Db.MessageWrites[^1]);
        Assert.Equal(expected, h.Db.GetMessage(row.Id)!.Content);
        var held = Assert.Single(h.Session(s.Id).Messages);
        Assert.Equal(row, held);
        Assert.Empty(h.Session(s.Id).PendingMessageIds);
        Assert.Equal(h.DumpDb(), h.Dump());
    }

    [Fact]
    public async Task Tokens_show_locally_at_once_while_the_message_is_streaming()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"), new MessageStoreOptions { MaxStreamWritesPerSecond = 1 });
        var states = h.Store.StateChanges
            .Select(st => st.Sessions.SingleOrDefault(x => x.Id == s.Id)?.Messages.SingleOrDefault())
            .Where(m => m is not null)
            .Select(m => (m!.Content, m.Status))
            .Record(out var sub);
        using var _ = sub;
        var row = await h.Store.StreamAssistantReplyAsync(s.Id, TokenStream.Paced(["a", "b", "c"], TimeSpan.Zero));
        await states.FirstAsync(x => x == ("abc", MessageStatus.Complete), "the completed message's state");
        var seen = states.Items;
        Assert.Contains(("", MessageStatus.Streaming), seen);
        Assert.Contains(("a", MessageStatus.Streaming), seen);
        Assert.Contains(("ab", MessageStatus.Streaming), seen);
        Assert.Contains(("abc", MessageStatus.Streaming), seen);
        Assert.Equal(("abc", MessageStatus.Complete), seen[^1]);
        Assert.Equal("abc", row.Content);
    }

    [Fact]
    public async Task A_failing_stream_ends_with_status_error_and_the_received_text_and_rethrows()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        var boom = new InvalidOperationException("model crashed");
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => h.Store.StreamAssistantReplyAsync(s.Id, TokenStream.Paced(["par", "tial"], TimeSpan.Zero, boom)));
        Assert.Same(boom, ex);
        var m = Assert.Single(h.Session(s.Id).Messages);
        Assert.Equal("partial", m.Content);
        Assert.Equal(MessageStatus.Error, m.Status);
        Assert.Equal(MessageStatus.Error, h.Db.GetMessage(m.Id)!.Status);
        Assert.Equal("partial", h.Db.GetMessage(m.Id)!.Content);
    }

    [Fact]
    public async Task A_cancelled_stream_is_stored_with_status_error_and_the_cancellation_propagates()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        using var cts = new CancellationTokenSource();
        async IAsyncEnumerable<string> Endless([EnumeratorCancellation] CancellationToken ct = default)
        {
            for (var i = 0; ; i++)
            {
                if (i == 3)
                {
                    await cts.CancelAsync();
                }

                await Task.Delay(5, ct);
                yield return "x";
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Store.StreamAssistantReplyAsync(s.Id, Endless(), cts.Token));
        var m = Assert.Single(h.Session(s.Id).Messages);
        Assert.Equal(MessageStatus.Error, m.Status);
        Assert.Equal("xxx", m.Content);
        Assert.Equal("xxx", h.Db.GetMessage(m.Id)!.Content);
        Assert.Equal(MessageStatus.Error, h.Db.GetMessage(m.Id)!.Status);
    }

    [Fact]
    public async Task Intermediate_write_failures_are_retried_by_later_writes()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"), new MessageStoreOptions { MaxStreamWritesPerSecond = 50 });
        var failures = 0;
        h.Db.BeforeCall = name => name == nameof(IChatDataSource.UpsertMessageAsync) && Interlocked.Increment(ref failures) <= 2
            ? Task.FromException(new FakeServerException("503"))
            : Task.CompletedTask;
        var row = await h.Store.StreamAssistantReplyAsync(s.Id, TokenStream.Paced(Enumerable.Repeat("t", 30), TimeSpan.FromMilliseconds(5)));
        Assert.Equal(new string('t', 30), row.Content);
        Assert.Equal(MessageStatus.Complete, h.Db.GetMessage(row.Id)!.Status);
    }

    [Fact]
    public async Task A_refused_final_write_rolls_back_and_throws_a_typed_exception()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db => s = db.SeedSession("s"));
        h.Db.BeforeCall = name => name.StartsWith("Load", StringComparison.Ordinal) ? Task.CompletedTask : Task.FromException(new FakeServerException("42501"));
        var ex = await Assert.ThrowsAsync<ChatOperationException>(() => h.Store.StreamAssistantReplyAsync(s.Id, TokenStream.Paced(["a"], TimeSpan.Zero)));
        Assert.Equal(ChatOperation.StreamReply, ex.Operation);
        Assert.IsType<FakeServerException>(ex.InnerException);
        Assert.Empty(h.Session(s.Id).Messages);
    }

    [Fact]
    public async Task A_chat_client_gets_the_session_history_and_its_streamed_reply_is_stored()
    {
        ChatSession s = null!;
        await using var h = await StoreHarness.StartAsync(db =>
        {
            s = db.SeedSession("s");
            db.SeedMessage(s.Id, "hello", isUser: true);
            db.SeedMessage(s.Id, "hi there", isUser: false);
            db.SeedMessage(s.Id, "how are you?", isUser: true);
        });
        var client = new FakeChatClient(["I am ", "fine, ", "thanks."]);
        var row = await h.Store.StreamAssistantReplyAsync(s.Id, client);
        Assert.Equal("I am fine, thanks.", row.Content);
        Assert.Equal(MessageStatus.Complete, row.Status);
        Assert.Equal(
            [(ChatRole.User, "hello"), (ChatRole.Assistant, "hi there"), (ChatRole.User, "how are you?")],
            client.History.Select(m => (m.Role, m.Text)));
        Assert.Equal(4, h.Session(s.Id).Messages.Count);
    }

    [Fact]
    public void History_leaves_out_unfinished_and_failed_replies()
    {
        var sid = Guid.NewGuid();
        var t = DateTimeOffset.UtcNow;
        ChatMessage M(string c, bool user, MessageStatus st) => new(Guid.NewGuid(), sid, Guid.Empty, c, user, st, t, t, null);
        var history = MessageStore.BuildHistory([M("q", true, MessageStatus.Complete), M("half", false, MessageStatus.Error), M("", false, MessageStatus.Streaming), M("a", false, MessageStatus.Complete)]);
        Assert.Equal(["q", "a"], history.Select(m => m.Text));
    }

    private sealed class FakeChatClient(IReadOnlyList<string> reply) : IChatClient
    {
        public List<Microsoft.Extensions.AI.ChatMessage> History { get; } = [];

        public Task<ChatResponse> GetResponseAsync(
            IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
            ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            History.AddRange(messages);
            foreach (var t in reply)
            {
                await Task.Yield();
                yield return new ChatResponseUpdate(ChatRole.Assistant, t);
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
