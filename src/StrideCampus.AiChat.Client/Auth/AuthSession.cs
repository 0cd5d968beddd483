namespace StrideCampus.AiChat.Client.Auth;

/// <summary>A signed-in GoTrue session.</summary>
/// <param name="AccessToken">The JWT sent to REST and Realtime.</param>
/// <param name="RefreshToken">The single-use token that obtains the next session.</param>
/// <param name="ExpiresAt">When <paramref name="AccessToken"/> expires (local clock).</param>
/// <param name="User">The signed-in user.</param>
public sealed record AuthSession(string AccessToken, string RefreshToken, DateTimeOffset ExpiresAt, AuthUser User)
{
    /// <summary>Hides the tokens so a logged or printed session never leaks them.</summary>
    /// <returns>A description without secrets.</returns>
    public override string ToString() => $"AuthSession {{ User = {User}, ExpiresAt = {ExpiresAt:O} }}";
}
