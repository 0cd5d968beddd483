using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.Chat;

public partial class RealtimeAIChats
{
    /// <summary>
    /// Watches a user's chats (optionally one session's messages) on <paramref name="realtime"/>. Call
    /// <see cref="StartAsync"/> to subscribe. Without a REST client only rows seen since the start are
    /// known, so deletes of older rows are not reported; use the other constructor to report them too.
    /// The user id is checked against the client's access token (its <c>sub</c>) by <see cref="StartAsync"/>, before it
    /// subscribes: <see cref="CreateAsync"/> checks it before anything is built.
    /// </summary>
    /// <param name="realtime">The realtime client, signed in as the user.</param>
    /// <param name="userId">The user (the <c>sub</c> of their token).</param>
    /// <param name="sessionId">Only this session's messages, or null for all of the user's.</param>
    /// <param name="callbacks">Handlers for apps that do not use Rx.</param>
    /// <param name="loggerFactory">Logging.</param>
    public RealtimeAIChats(
        RealtimeClient realtime,
        Guid userId,
        Guid? sessionId = null,
        RealtimeAIChatsCallbacks? callbacks = null,
        ILoggerFactory? loggerFactory = null)
        : this(realtime, null, userId, new RealtimeAIChatsOptions { SessionId = sessionId, Callbacks = callbacks }, loggerFactory)
    {
    }

    /// <summary>
    /// Watches a user's chats on <paramref name="realtime"/>; with <paramref name="rest"/>, <see cref="StartAsync"/>
    /// first reads the ids of the user's rows so that deletes (which carry only an id) of older rows are reported.
    /// The user id is checked against the clients' access token (its <c>sub</c>) by <see cref="StartAsync"/>, before it
    /// subscribes: <see cref="CreateAsync"/> checks it before anything is built.
    /// </summary>
    /// <param name="realtime">The realtime client, signed in as the user.</param>
    /// <param name="rest">The PostgREST client, signed in as the user, or null.</param>
    /// <param name="userId">The user (the <c>sub</c> of their token).</param>
    /// <param name="options">Session filter, callbacks and scheduler.</param>
    /// <param name="loggerFactory">Logging.</param>
    public RealtimeAIChats(
        RealtimeClient realtime,
        PostgrestClient? rest,
        Guid userId,
        RealtimeAIChatsOptions? options = null,
        ILoggerFactory? loggerFactory = null)
        : this(
            CreateFeed(realtime, rest, userId, options, loggerFactory),
            rest is null ? null : new PostgrestChatDataSource(rest, userId),
            userId,
            options,
            loggerFactory)
    {
        // The token is read asynchronously: StartAsync checks the user against it before any request.
        _tokens = rest?.Tokens ?? realtime.Tokens;
    }

    /// <summary>
    /// For mocking frameworks (Moq, NSubstitute, ...): an instance with no subscription behind it, whose streams never
    /// emit. Override the members the code under test uses; the others are not meant to be called.
    /// </summary>
    protected RealtimeAIChats()
    {
        _feed = null!;
        _options = new RealtimeAIChatsOptions();
        _logger = NullLogger.Instance;
        _timer = ImmediateScheduler.Instance;
        Changes = Observable.Never<ChatChange>();
        SessionCreated = Observable.Never<ChatSession>();
        SessionUpdated = Observable.Never<ChatSession>();
        SessionDeleted = Observable.Never<Guid>();
        MessageCreated = Observable.Never<ChatMessage>();
        MessageUpdated = Observable.Never<ChatMessage>();
        MessageDeleted = Observable.Never<Guid>();
        ActiveSessionChanged = Observable.Never<Guid?>();
        ConnectionStatus = Observable.Never<ChatConnectionStatus>();
    }

    /// <summary>Creates and starts a <see cref="RealtimeAIChats"/>.</summary>
    /// <param name="realtime">The realtime client, signed in as the user.</param>
    /// <param name="rest">The PostgREST client (to attribute deletes of older rows), or null.</param>
    /// <param name="userId">The user: must be the one the clients' access token names (its <c>sub</c>), which is used when the token names one.</param>
    /// <param name="options">Session filter, callbacks and scheduler.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="cancellationToken">Cancels the wait for the subscription.</param>
    /// <returns>The subscribed instance.</returns>
    /// <exception cref="ChatOperationException">The subscription failed.</exception>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is empty or is not the token's user.</exception>
    public static async Task<RealtimeAIChats> CreateAsync(
        RealtimeClient realtime,
        PostgrestClient? rest,
        Guid userId,
        RealtimeAIChatsOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(realtime);
        userId = await TokenUser.ResolveAsync(rest?.Tokens ?? realtime.Tokens, userId, nameof(userId), cancellationToken).ConfigureAwait(false);
        var chats = new RealtimeAIChats(realtime, rest, userId, options, loggerFactory);
        try
        {
            await chats.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await chats.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return chats;
    }

    private static RealtimeChatChangeFeed CreateFeed(RealtimeClient realtime, PostgrestClient? rest, Guid userId, RealtimeAIChatsOptions? options, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(realtime);
        if (userId == Guid.Empty)
        {
            throw new ArgumentException("The user id must not be empty.", nameof(userId));
        }

        if (options?.SessionId == Guid.Empty)
        {
            throw new ArgumentException("The session id must not be empty.", nameof(options));
        }

        return new RealtimeChatChangeFeed(realtime, userId, options?.SessionId, loggerFactory?.CreateLogger<RealtimeAIChats>())
        {
            RowFetcher = rest is null ? null : new ChatRowFetcher(rest),
        };
    }
}
