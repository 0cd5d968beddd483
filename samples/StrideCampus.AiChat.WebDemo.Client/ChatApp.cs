using Microsoft.Extensions.AI;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.WebDemo.Client;

/// <summary>
/// The page's state and actions over the SDK: sign-in, then one <see cref="MessageStore"/> whose
/// state the components render. Raises <see cref="Changed"/> after every change; the components
/// re-render on the renderer's dispatcher.
/// </summary>
internal sealed class ChatApp(SupabaseAuthClient auth, RealtimeClient realtime, IAiChatFactory factory, IChatClient assistant) : IAsyncDisposable
{
    private MessageStore? _store;
    private IDisposable? _stateSubscription;
    private IDisposable? _connectionSubscription;
    private ConnectionState _connection = realtime.State;

    public event Action? Changed;

    public string? Email { get; private set; }

    public MessageStoreState? State { get; private set; }

    /// <summary>The last action's failure, shown until the next action.</summary>
    public string? Error { get; private set; }

    /// <summary>Whether the assistant is streaming a reply started in this tab.</summary>
    public bool IsReplying { get; private set; }

    public LiveStatus Live => State is { IsRealtimeConnected: true } && _connection == ConnectionState.Connected
        ? LiveStatus.Live
        : _connection == ConnectionState.Connecting || State is null ? LiveStatus.Connecting : LiveStatus.Offline;

    public async Task SignInAsync(string email, string password, bool createAccount)
    {
        Error = null;
        try
        {
            var session = createAccount
                ? await auth.SignUpAsync(email, password)
                : await auth.SignInWithPasswordAsync(email, password);
            Email = session.User.Email ?? email;
            _connectionSubscription = realtime.ConnectionStates.Subscribe(change =>
            {
                _connection = change.State;
                Changed?.Invoke();
            });
            _store = await factory.CreateMessageStoreAsync();
            _stateSubscription = _store.StateChanges.Subscribe(state =>
            {
                State = state;
                Changed?.Invoke();
            });
        }
        catch (Exception ex) when (ex is AuthException or HttpRequestException)
        {
            Error = ex.Message;
        }
        Changed?.Invoke();
    }

    public Task NewSessionAsync() => RunAsync(store => store.CreateSessionAsync());

    public Task SwitchAsync(Guid sessionId) => RunAsync(store => store.SwitchToSessionAsync(sessionId));

    public Task RenameAsync(Guid sessionId, string title) => RunAsync(store => store.RenameSessionAsync(sessionId, title));

    public Task DeleteAsync(Guid sessionId) => RunAsync(store => store.DeleteSessionAsync(sessionId));

    /// <summary>Sends the user's message to the active session (a new one if none) and streams the assistant's reply.</summary>
    public Task SendAsync(string text) => RunAsync(async store =>
    {
        var sessionId = store.GetActiveSession()?.Id ?? (await store.CreateSessionAsync(Title(text))).Id;
        await store.AddMessageAsync(sessionId, text);
        IsReplying = true;
        Changed?.Invoke();
        try
        {
            await store.StreamAssistantReplyAsync(sessionId, assistant);
        }
        finally
        {
            IsReplying = false;
        }
    });

    public async ValueTask DisposeAsync()
    {
        _stateSubscription?.Dispose();
        _connectionSubscription?.Dispose();
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private static string Title(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private async Task RunAsync(Func<MessageStore, Task> action)
    {
        if (_store is null)
        {
            return;
        }
        Error = null;
        try
        {
            await action(_store);
        }
        catch (Exception ex) when (ex is ChatOperationException or ArgumentException or InvalidOperationException or HttpRequestException)
        {
            Error = ex.Message;
        }
        Changed?.Invoke();
    }
}
