namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>The outcome of checking a token the way Supabase Realtime does, with its messages.</summary>
internal sealed record TokenCheck(string? Token, string? ClaimsJson, string? Role, DateTimeOffset ExpiresAt, TokenFailure Failure, long ExpiredSecondsAgo)
{
    public bool IsValid => Failure == TokenFailure.None;

    /// <summary>The <c>sub</c> claim (the user id), when the token has one.</summary>
    public string? Subject { get; init; }

    /// <summary>
    /// Who a change's visibility is checked as: the role and the user. Tokens of one user and role share one check
    /// (several devices, refreshed tokens); a token without <c>sub</c> (an API key) is keyed by its claims.
    /// </summary>
    public (string Role, string Who) Principal => (Role ?? "anon", Subject is { } sub ? "sub:" + sub : "claims:" + (ClaimsJson ?? "{}"));

    /// <summary>The <c>reason</c> of a refused <c>phx_join</c>.</summary>
    public string JoinError => Failure switch
    {
        TokenFailure.Expired => $"InvalidJWTToken: Token has expired {ExpiredSecondsAgo} seconds ago",
        TokenFailure.MissingClaims => "InvalidJWTToken: Fields `role` and `exp` are required in JWT",
        TokenFailure.Signature => "JwtSignatureError: Failed to validate JWT signature",
        _ => "MalformedJWT: The token provided is not a valid JWT",
    };

    /// <summary>The <c>error</c> of a refused WebSocket upgrade (HTTP 401).</summary>
    public string ConnectError => Failure switch
    {
        TokenFailure.Missing => "API key is missing",
        TokenFailure.Expired => "Token has expired",
        TokenFailure.MissingClaims => "Fields `role` and `exp` are required in JWT",
        TokenFailure.Signature => "Failed to validate JWT signature",
        _ => "The token provided is not a valid JWT",
    };

    /// <summary>The system message that ends a channel whose token went bad.</summary>
    public string ShutdownMessage => Failure switch
    {
        TokenFailure.Expired => $"Token has expired {ExpiredSecondsAgo} seconds ago",
        TokenFailure.MissingClaims => "Fields `role` and `exp` are required in JWT",
        TokenFailure.Signature => ":signature_error",
        _ => "The token provided is not a valid JWT",
    };
}
