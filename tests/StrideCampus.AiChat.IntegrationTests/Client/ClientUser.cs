using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Client;

/// <summary>One signed-up user of the stack with the SDK's auth session and REST client.</summary>
internal sealed class ClientUser : IAsyncDisposable
{
    private ClientUser(SupabaseAuthClient auth, PostgrestClient rest, AuthSession session, string email, string password)
    {
        Auth = auth;
        Rest = rest;
        Session = session;
        Email = email;
        Password = password;
    }

    public SupabaseAuthClient Auth { get; }

    public PostgrestClient Rest { get; }

    public AuthSession Session { get; }

    public Guid Id => Session.User.Id;

    public string Email { get; }

    public string Password { get; }

    public PostgrestQuery<TestSession> Sessions => Rest.From("ai_chat_sessions", ClientTestJsonContext.Default.TestSession);

    public PostgrestQuery<TestMessage> Messages => Rest.From("ai_chat_messages", ClientTestJsonContext.Default.TestMessage);

    public static async Task<ClientUser> SignUpAsync(HttpClient http, LocalStackServer stack, string name)
    {
        var auth = new SupabaseAuthClient(http, new SupabaseAuthOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey });
        var email = $"{name}-{Guid.NewGuid():N}@example.com";
        const string password = "correct-horse-battery";
        var session = await auth.SignUpAsync(email, password);
        var rest = new PostgrestClient(
            http,
            new PostgrestClientOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey, RetryBaseDelay = TimeSpan.FromMilliseconds(10) },
            auth);
        return new ClientUser(auth, rest, session, email, password);
    }

    public Task<TestSession> CreateSessionAsync(string title, bool active = false) =>
        Sessions.InsertAsync(new TestSession { Id = Guid.NewGuid(), Title = title, IsActive = active });

    public ValueTask DisposeAsync() => Auth.DisposeAsync();
}
