namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>Who a REST request runs as: the database role and the JWT payload for <c>request.jwt.claims</c>.</summary>
internal sealed record RequestIdentity(string Role, string ClaimsJson)
{
    public bool IsAnonymous => Role == "anon";
}
