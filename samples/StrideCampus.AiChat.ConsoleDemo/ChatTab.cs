using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.ConsoleDemo;

/// <summary>
/// One client of the demo user, as a browser tab would be: its own sign-in, REST and realtime
/// connection (<see cref="IAiChatFactory.Connect"/>, from the demo's one service container), and
/// <see cref="MessageStore"/>.
/// </summary>
internal sealed class ChatTab : IAsyncDisposable
{
    private readonly SupabaseAuthClient _auth;
    private readonly AiChatConnection _connection;

    private ChatTab(string name, SupabaseAuthClient auth, AiChatConnection connection, MessageStore store)
    {
        Name = name;
        _auth = auth;
        _connection = connection;
        Store = store;
    }

    public string Name { get; }

    public RealtimeClient Realtime => _connection.Realtime;

    public MessageStore Store { get; }

    public TabSnapshot Snapshot() => new(Name, Store.Current, Realtime.State);

    public static async Task<ChatTab> OpenAsync(string name, IAiChatFactory factory, DemoBackend backend, bool signUp, CancellationToken cancellationToken)
    {
        var auth = factory.CreateAuthClient();
        AiChatConnection? connection = null;
        try
        {
            if (signUp)
            {
                await auth.SignUpAsync(backend.Email, backend.Password, cancellationToken);
            }
            else
            {
                await auth.SignInWithPasswordAsync(backend.Email, backend.Password, cancellationToken);
            }
            connection = factory.Connect(auth);
            var store = await connection.CreateMessageStoreAsync(cancellationToken: cancellationToken);
            return new ChatTab(name, auth, connection, store);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            await auth.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await _connection.DisposeAsync();
        await _auth.DisposeAsync();
    }
}
