using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.ConsoleDemo;

/// <summary>
/// One client of the demo user, as a browser tab would be: its own sign-in, REST and realtime
/// connection, and <see cref="MessageStore"/>, all from the SDK's dependency injection.
/// </summary>
internal sealed class ChatTab : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ChatTab(string name, ServiceProvider services, RealtimeClient realtime, MessageStore store)
    {
        Name = name;
        _services = services;
        Realtime = realtime;
        Store = store;
    }

    public string Name { get; }

    public RealtimeClient Realtime { get; }

    public MessageStore Store { get; }

    public static async Task<ChatTab> OpenAsync(string name, DemoBackend backend, bool signUp, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection()
            .AddAiChatClient(o =>
            {
                o.Url = backend.Url;
                o.AnonKey = backend.AnonKey;
            })
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        try
        {
            var auth = services.GetRequiredService<SupabaseAuthClient>();
            if (signUp)
            {
                await auth.SignUpAsync(backend.Email, backend.Password, cancellationToken);
            }
            else
            {
                await auth.SignInWithPasswordAsync(backend.Email, backend.Password, cancellationToken);
            }
            var realtime = services.GetRequiredService<RealtimeClient>();
            var store = await services.GetRequiredService<IAiChatFactory>().CreateMessageStoreAsync(cancellationToken: cancellationToken);
            return new ChatTab(name, services, realtime, store);
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await _services.DisposeAsync();
    }
}
