namespace StrideCampus.AiChat.Client.Auth;

/// <summary>
/// Supplies the access token (a Supabase JWT) that the REST and Realtime clients send on behalf of
/// the signed-in user. Implement it to plug in your own authentication.
/// </summary>
public interface IAccessTokenProvider
{
    /// <summary>Returns the current valid access token, or <see langword="null"/> when nobody is signed in (anonymous).</summary>
    /// <param name="cancellationToken">Cancels the wait (for example for a refresh in flight).</param>
    ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken = default);

    /// <summary>Emits each new access token (after a refresh, a sign-in or a sign-out, which emits <see langword="null"/>).</summary>
    IObservable<string?> AccessTokenChanged { get; }
}
