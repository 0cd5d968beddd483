namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Waits for a client's socket to open, bounded by <see cref="RealtimeClientOptions.Timeout"/>.</summary>
internal static class ConnectionWait
{
    /// <summary>
    /// Completes when the socket is open. Throws <see cref="RealtimeException"/> (status <see cref="SubscribeStatus.TimedOut"/>)
    /// when it is not within the client's timeout: a subscribe without a cancellation token must not wait forever on a
    /// server it cannot reach (the client keeps reconnecting meanwhile).
    /// </summary>
    public static async Task WaitConnectedAsync(this RealtimeConnector client, CancellationToken cancellationToken)
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = client.ConnectionStates.Subscribe(
            change =>
            {
                if (change.State == ConnectionState.Connected)
                {
                    connected.TrySetResult();
                }
            },
            () => connected.TrySetException(new ObjectDisposedException(nameof(RealtimeClient))));
        try
        {
            await connected.Task.WaitAsync(client.Options.Timeout, client.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new RealtimeException($"The realtime socket did not connect within {client.Options.Timeout}; it keeps trying in the background.", ex)
            {
                SubscribeStatus = SubscribeStatus.TimedOut,
            };
        }
    }
}
