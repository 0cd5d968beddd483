using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>One client of a user (a browser "tab"): its own HTTP client, realtime socket and store.</summary>
internal sealed class ChatTab : IAsyncDisposable
{
    private readonly HttpClient _http;

    private ChatTab(Guid userId, HttpClient http, CountingHandler handler, string token, PostgrestClient rest, RealtimeClient realtime, MessageStore store)
    {
        Http = handler;
        Token = token;
        UserId = userId;
        _http = http;
        Rest = rest;
        Realtime = realtime;
        Store = store;
    }

    public Guid UserId { get; }

    /// <summary>The HTTP requests this tab sent.</summary>
    public CountingHandler Http { get; }

    /// <summary>The user's access token (to check that logs never contain it).</summary>
    public string Token { get; }

    public PostgrestClient Rest { get; }

    public RealtimeClient Realtime { get; }

    public MessageStore Store { get; }

    public static async Task<ChatTab> OpenAsync(
        LocalStackServer stack, Guid userId, MessageStoreOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        var token = RealtimeTestData.Token(stack, userId);
        var tokens = new StaticAccessTokenProvider(token);
        var handler = new CountingHandler();
        var http = new HttpClient(handler);
        var rest = new PostgrestClient(http, new PostgrestClientOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey }, tokens);
        var realtime = new RealtimeClient(
            new RealtimeClientOptions { Url = stack.ApiUrl, ApiKey = stack.AnonKey, ReconnectDelay = _ => TimeSpan.FromMilliseconds(1500) },
            tokens,
            loggerFactory);
        options ??= new MessageStoreOptions();
        options.Scheduler ??= ImmediateScheduler.Instance;
        var store = await MessageStore.CreateAsync(rest, realtime, userId, options, loggerFactory);
        return new ChatTab(userId, http, handler, token, rest, realtime, store);
    }

    /// <summary>A fresh read of the database as this user (what a new tab would load).</summary>
    public async Task<string> DatabaseDumpAsync()
    {
        var rows = await new PostgrestChatDataSource(Rest, UserId).LoadSessionsWithMessagesAsync(CancellationToken.None);
        return string.Join("\n", rows.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id, Comparer<Guid>.Create(ChatRowComparer.CompareUuid)).Select(s =>
            $"{s.Id}|{s.Title}|{s.IsActive}" +
            string.Concat((s.AiChatMessages ?? []).Order(ChatRowComparer.MessageOrder).Select(m => $"\n  {m.Id}|{m.Content}|{m.Status}|{m.IsUser}|{m.CreatedAt:O}"))));
    }

    /// <summary>The store's state in the same shape as <see cref="DatabaseDumpAsync"/>.</summary>
    public string StoreDump() => string.Join("\n", Store.Current.Sessions.Select(s =>
        $"{s.Id}|{s.Title}|{s.IsActive}" +
        string.Concat(s.Messages.Select(m => $"\n  {m.Id}|{m.Content}|{m.Status}|{m.IsUser}|{m.CreatedAt:O}"))));

    /// <summary>Kills the realtime socket the way a network failure would (no close handshake).</summary>
    public void DropRealtimeSocket()
    {
        if (!Realtime.AbortSocket())
        {
            throw new InvalidOperationException("not connected");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await Realtime.DisposeAsync();
        _http.Dispose();
    }
}
