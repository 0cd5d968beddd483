using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.Chat;

public partial class MessageStore
{
    /// <summary>
    /// For mocking frameworks (Moq, NSubstitute, ...): a store with no engine behind it. Override the members the code
    /// under test uses; the others are not meant to be called.
    /// </summary>
    protected MessageStore()
    {
        _core = null!;
        _data = null!;
        _options = new MessageStoreOptions();
        _time = TimeProvider.System;
        _logger = NullLogger.Instance;
        _scheduler = ImmediateScheduler.Instance;
        _current = null!;
        _state = null!;
    }

    /// <summary>
    /// Creates the store of a user: subscribes to the user's chat changes on <paramref name="realtime"/>, then
    /// loads every session with its messages (each table read whole, paged) through <paramref name="rest"/>. The clients stay
    /// the caller's (disposing the store leaves its realtime channel, not the socket).
    /// </summary>
    /// <param name="rest">The PostgREST client, signed in as the user.</param>
    /// <param name="realtime">The realtime client, signed in as the user.</param>
    /// <param name="userId">The user: must be the one the clients' access token names (its <c>sub</c>), which is used when the token names one.</param>
    /// <param name="options">Cache, streaming and scheduler options.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="cancellationToken">Cancels the initial load.</param>
    /// <returns>The initialized store. If the realtime subscription failed it keeps retrying, and
    /// <see cref="IsRealtimeConnected"/> is false until it succeeds.</returns>
    /// <exception cref="ChatOperationException">The initial load failed.</exception>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is empty or is not the token's user.</exception>
    public static async Task<MessageStore> CreateAsync(
        PostgrestClient rest,
        RealtimeClient realtime,
        Guid userId,
        MessageStoreOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(realtime);
        userId = await TokenUser.ResolveAsync(rest.Tokens ?? realtime.Tokens, userId, nameof(userId), cancellationToken).ConfigureAwait(false);
        options?.Validate();
        var feed = new RealtimeChatChangeFeed(realtime, userId, null, loggerFactory?.CreateLogger<MessageStore>()) { RowFetcher = new ChatRowFetcher(rest) };
        var logger = loggerFactory?.CreateLogger<MessageStore>();
        RealtimeStreamRelay? relay;
        try
        {
            relay = (options?.RelayStreamedTokens ?? true) ? new RealtimeStreamRelay(realtime, userId, logger) : null;
        }
        catch
        {
            await feed.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var store = new MessageStore(new PostgrestChatDataSource(rest, userId), feed, userId, options, loggerFactory, relay: relay);
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return store;
    }
}
