namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The realtime side of the chat layer: typed row changes of one user (optionally one session),
/// the connection status, and a signal after every re-subscription (when changes may have been missed).
/// </summary>
internal interface IChatChangeFeed : IAsyncDisposable
{
    /// <summary>Row changes in commit order. Deletes carry only the id and may concern rows of other users.</summary>
    IObservable<ChatChange> Changes { get; }

    /// <summary>Connection status; replays the current value to a new subscriber.</summary>
    IObservable<ChatConnectionStatus> Status { get; }

    /// <summary>Fires after every subscription that is not the first (a reconnect or rejoin), and when a change arrived without its whole row: consumers refetch.</summary>
    IObservable<long> Resubscribed { get; }

    /// <summary>Subscribes; completes when changes flow (or throws when the subscription fails).</summary>
    Task StartAsync(CancellationToken cancellationToken);
}
