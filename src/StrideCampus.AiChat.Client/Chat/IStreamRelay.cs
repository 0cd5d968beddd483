namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Carries streamed tokens between the clients of one user, ahead of the rate-limited database writes
/// (Supabase Realtime broadcast in production, fakes in tests). Best effort: a lost delta only means the
/// other clients wait for the next database write.
/// </summary>
internal interface IStreamRelay : IAsyncDisposable
{
    /// <summary>Deltas published by the user's clients (this one included).</summary>
    IObservable<StreamDelta> Deltas { get; }

    /// <summary>Sends a delta if the relay is up; never throws and never waits.</summary>
    void Publish(StreamDelta delta);

    /// <summary>Fires when the server ends the relay's channel with "Too many messages per second" (the project is over its quota).</summary>
    IObservable<string> QuotaExceeded { get; }

    /// <summary>Joins the relay; a refusal (no authorization policy) disables it and is logged, not thrown.</summary>
    Task StartAsync(CancellationToken cancellationToken);
}
