using System.Net.WebSockets;
using System.Reactive.Linq;
using System.Text;
using Moq;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>An app can unit-test its own code against mocked chat façades, with no database and no socket (issue 15).</summary>
public class MockableChatFacadeTests
{
    private static readonly Guid User = Guid.NewGuid();

    /// <summary>What an app might write: send a question, and show the assistant's messages as they change.</summary>
    private sealed class ChatPanel(MessageStore store)
    {
        public List<string> Shown { get; } = [];

        public IDisposable Watch() => store.Changes.Subscribe(change =>
        {
            switch (change)
            {
                case MessageChange { Message.IsUser: false } m:
                    Shown.Add(m.Message.Content);
                    break;
                case MessageDeletion d:
                    Shown.Add($"deleted {d.Id}");
                    break;
            }
        });

        public Task<ChatMessage> AskAsync(Guid sessionId, string question) => store.AddMessageAsync(sessionId, question);
    }

    /// <summary>What an app might write: start watching, and keep the latest text of each streamed reply.</summary>
    private sealed class ReplyTicker(RealtimeAIChats chats)
    {
        public Dictionary<Guid, string> Latest { get; } = [];

        public async Task<IDisposable> StartAsync()
        {
            await chats.StartAsync();
            return chats.MessageUpdated.Subscribe(m => Latest[m.Id] = m.Content);
        }
    }

    private static ChatMessage Message(Guid sessionId, string content, bool isUser) =>
        new(Guid.NewGuid(), sessionId, User, content, isUser, MessageStatus.Complete, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null);

    [Fact]
    public async Task A_mocked_store_drives_app_code()
    {
        var sessionId = Guid.NewGuid();
        var sent = Message(sessionId, "why?", isUser: true);
        var reply = Message(sessionId, "because", isUser: false);
        var store = new Mock<MessageStore>();
        store.Setup(s => s.AddMessageAsync(sessionId, "why?", true, MessageStatus.Complete, null, null, It.IsAny<CancellationToken>())).ReturnsAsync(sent);
        store.SetupGet(s => s.Changes).Returns(new ChatChange[]
        {
            new MessageChange(ChatChangeKind.MessageCreated, sent),
            new MessageChange(ChatChangeKind.MessageCreated, reply),
            new MessageDeletion(sent.Id),
        }.ToObservable());
        var panel = new ChatPanel(store.Object);

        using var watch = panel.Watch();
        var asked = await panel.AskAsync(sessionId, "why?");

        Assert.Same(sent, asked);
        Assert.Equal(["because", $"deleted {sent.Id}"], panel.Shown);
        store.Verify(s => s.AddMessageAsync(sessionId, "why?", true, MessageStatus.Complete, null, null, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_mocked_realtime_chats_drives_app_code()
    {
        var reply = Message(Guid.NewGuid(), "Hel", isUser: false);
        var chats = new Mock<RealtimeAIChats>();
        chats.Setup(c => c.StartAsync(It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        chats.SetupGet(c => c.MessageUpdated).Returns(new[] { reply, reply with { Content = "Hello" } }.ToObservable());
        var ticker = new ReplyTicker(chats.Object);

        using var subscription = await ticker.StartAsync();

        Assert.Equal("Hello", Assert.Single(ticker.Latest).Value);
        chats.Verify(c => c.StartAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public void Changes_made_by_an_app_carry_the_kinds_their_type_names()
    {
        var session = new ChatSession(Guid.NewGuid(), User, "t", true, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        Assert.Equal(ChatChangeKind.SessionUpdated, new SessionChange(ChatChangeKind.SessionUpdated, session).Kind);
        Assert.True(new SessionDeletion(session.Id).IsSessionChange);
        Assert.Equal(ChatChangeKind.MessageDeleted, new MessageDeletion(Guid.NewGuid()).Kind);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionChange(ChatChangeKind.MessageCreated, session));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageChange(ChatChangeKind.SessionDeleted, Message(session.Id, "x", true)));
    }

    [Fact]
    public async Task The_synchronous_constructor_refuses_a_user_the_token_contradicts_before_connecting()
    {
        var tokenUser = Guid.NewGuid();
        var connects = 0;
        var options = new RealtimeClientOptions
        {
            Url = new Uri("https://project.example.com"),
            ApiKey = "anon-key",
            WebSocketFactory = (_, _) =>
            {
                Interlocked.Increment(ref connects);
                return Task.FromException<WebSocket>(new WebSocketException("no server in this test"));
            },
        };
        await using var client = new RealtimeClient(options, new StaticAccessTokenProvider(UserToken(tokenUser)));
        await using var chats = new RealtimeAIChats(client, Guid.NewGuid());

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => chats.StartAsync());

        Assert.Equal("userId", refused.ParamName);
        Assert.Contains(tokenUser.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref connects));
    }

    private static string UserToken(Guid user)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{B64("{\"alg\":\"HS256\"}")}.{B64($"{{\"role\":\"authenticated\",\"sub\":\"{user}\",\"exp\":4102444800}}")}.sig";
    }
}
