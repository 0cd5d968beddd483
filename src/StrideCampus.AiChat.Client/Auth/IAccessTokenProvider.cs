namespace StrideCampus.AiChat.Client.Auth;

/// <summary>
/// Supplies the user's access token (a Supabase JWT) to the REST and Realtime clients.
/// Plug in your own implementation when your app manages authentication itself.
/// </summary>
public interface IAccessTokenProvider
{
    /// <summary>Returns the current valid access token, or <see langword="null"/> when signed out (anonymous).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken = default);

    /// <summary>Emits each new token (after a refresh, a sign-in or a sign-out).</summary>
    IObservable<string?> AccessTokenChanged { get; }
}
