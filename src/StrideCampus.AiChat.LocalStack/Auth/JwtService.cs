using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace StrideCampus.AiChat.LocalStack.Auth;

/// <summary>
/// Issues and validates the HS256 JWTs Supabase uses: API keys (role anon / service_role) and
/// user access tokens (role authenticated, with sub, aud, exp, iat, email, session_id).
/// </summary>
public sealed class JwtService
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SymmetricSecurityKey _key;
    private readonly SigningCredentials _credentials;

    /// <summary>Creates the service for a secret (at least 32 characters, as Supabase requires).</summary>
    public JwtService(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (secret.Length < 32)
        {
            throw new ArgumentException("The JWT secret must be at least 32 characters.", nameof(secret));
        }
        Secret = secret;
        _key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret));
        _credentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256);
    }

    /// <summary>The shared secret.</summary>
    public string Secret { get; }

    /// <summary>A new random secret of 40 characters.</summary>
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(30));

    /// <summary>
    /// An API key JWT for <c>anon</c> or <c>service_role</c>. Its times are fixed (issued 2022-01-09, expiring
    /// 2032-11-13, as the Supabase CLI's local keys), so a key depends only on the secret and the role: the same
    /// secret gives the same keys after every restart.
    /// </summary>
    public string CreateApiKey(string role) => Create(new Dictionary<string, object>
    {
        ["iss"] = "supabase-demo",
        ["role"] = role,
        ["iat"] = 1641769200L,
        ["exp"] = 1983812996L,
    });

    /// <summary>
    /// An access token of a signed-in user (<c>sub</c>, role and audience <c>authenticated</c>), the claims RLS and
    /// Realtime read, for tests and benchmarks that skip the sign-in. Issued five minutes ago, so a negative
    /// <paramref name="lifetime"/> gives an expired token.
    /// </summary>
    public string CreateUserToken(Guid userId, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow;
        return Create(new Dictionary<string, object>
        {
            ["sub"] = userId.ToString(),
            ["role"] = "authenticated",
            ["aud"] = "authenticated",
            ["iat"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = now.Add(lifetime).ToUnixTimeSeconds(),
        });
    }

    /// <summary>Signs the given claims as an HS256 JWT.</summary>
    public string Create(IDictionary<string, object> claims) =>
        _handler.CreateToken(new SecurityTokenDescriptor { Claims = claims, SigningCredentials = _credentials });

    /// <summary>
    /// Validates signature and expiry (no clock skew) and returns the claims as raw JSON payload,
    /// or a reason why the token is refused.
    /// </summary>
    public async Task<JwtValidation> ValidateAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return JwtValidation.Fail("missing token");
        }
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKey = _key,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.Zero,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        }).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return result.Exception is SecurityTokenExpiredException
                ? JwtValidation.Fail("token is expired", expired: true)
                : JwtValidation.Fail("invalid JWT: " + (result.Exception?.GetType().Name ?? "unknown"));
        }
        var jwt = (JsonWebToken)result.SecurityToken;
        var payloadJson = Base64UrlEncoder.Decode(jwt.EncodedPayload);
        return JwtValidation.Ok(payloadJson, result.ClaimsIdentity);
    }
}

/// <summary>The outcome of validating a JWT.</summary>
public sealed record JwtValidation(bool IsValid, string? Error, bool Expired, string? PayloadJson, ClaimsIdentity? Identity)
{
    /// <summary>The <c>role</c> claim.</summary>
    public string? Role => Identity?.FindFirst("role")?.Value;

    /// <summary>The <c>sub</c> claim (the user id).</summary>
    public string? Subject => Identity?.FindFirst("sub")?.Value ?? Identity?.FindFirst(ClaimTypes.NameIdentifier)?.Value;

    /// <summary>The <c>exp</c> claim, when present.</summary>
    public DateTimeOffset? ExpiresAt => Identity?.FindFirst("exp")?.Value is { } exp && long.TryParse(exp, out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    internal static JwtValidation Ok(string payload, ClaimsIdentity identity) => new(true, null, false, payload, identity);

    internal static JwtValidation Fail(string error, bool expired = false) => new(false, error, expired, null, null);
}
