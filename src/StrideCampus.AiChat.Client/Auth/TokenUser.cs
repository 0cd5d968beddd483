namespace StrideCampus.AiChat.Client.Auth;

/// <summary>
/// The user a chat component acts for is the one its token names (the <c>sub</c> claim): an id passed alongside
/// must agree with it, checked before any request, since every row is then read and written under the token's rights.
/// </summary>
internal static class TokenUser
{
    /// <summary>The token's user, or <paramref name="userId"/> when no token names one (no provider, or anonymous).</summary>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is empty, or differs from the token's user.</exception>
    /// <exception cref="InvalidOperationException">No id is given and no token names a user.</exception>
    public static async Task<Guid> ResolveAsync(IAccessTokenProvider? tokens, Guid? userId, string paramName, CancellationToken cancellationToken)
    {
        if (userId == Guid.Empty)
        {
            throw new ArgumentException("The user id must not be empty.", paramName);
        }

        var token = tokens is null ? null : await tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        var subject = JwtSubject.TryRead(token);
        if (subject is { } fromToken)
        {
            return userId is { } given && given != fromToken
                ? throw new ArgumentException(
                    $"The user id {given} is not the signed-in user's ({fromToken}, the access token's sub claim): omit it, or sign in as that user.",
                    paramName)
                : fromToken;
        }

        return userId
            ?? throw new InvalidOperationException("No user is signed in: sign in with SupabaseAuthClient first, or pass the user id.");
    }
}
