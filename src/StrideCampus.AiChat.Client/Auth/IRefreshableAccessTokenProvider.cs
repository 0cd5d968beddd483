namespace StrideCampus.AiChat.Client.Auth;

/// <summary>
/// An <see cref="IAccessTokenProvider"/> that can be asked for a fresh token when a server rejected the
/// current one as expired (for example because the local clock runs behind the server's).
/// </summary>
public interface IRefreshableAccessTokenProvider : IAccessTokenProvider
{
    /// <summary>
    /// Returns a token other than <paramref name="rejectedToken"/>: the current one if it already changed,
    /// otherwise a refreshed one. Returns <see langword="null"/> when no session is left.
    /// </summary>
    /// <param name="rejectedToken">The token the server refused.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    ValueTask<string?> RefreshAccessTokenAsync(string? rejectedToken, CancellationToken cancellationToken = default);
}
