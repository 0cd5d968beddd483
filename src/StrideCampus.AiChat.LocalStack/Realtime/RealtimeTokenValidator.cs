using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using StrideCampus.AiChat.LocalStack.Auth;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Validates API keys and access tokens and classifies failures as Supabase Realtime does.</summary>
internal sealed class RealtimeTokenValidator(JwtService jwt, TimeProvider time)
{
    public async Task<TokenCheck> CheckAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return Fail(token, TokenFailure.Missing);
        }
        token = string.Concat(token.Where(c => !char.IsWhiteSpace(c)));
        var parts = token.Split('.');
        if (parts.Length != 3 || !TryReadPayload(parts[1], out var exp, out var role, out var subject))
        {
            return Fail(token, TokenFailure.Malformed);
        }
        var result = await jwt.ValidateAsync(token).ConfigureAwait(false);
        if (!result.IsValid)
        {
            var error = result.Error ?? "";
            if (result.Expired)
            {
                var ago = exp is { } e ? Math.Max(0, time.GetUtcNow().ToUnixTimeSeconds() - e) : 0;
                return Fail(token, TokenFailure.Expired, ago);
            }
            if (error.Contains("NoExpiration", StringComparison.Ordinal))
            {
                return Fail(token, TokenFailure.MissingClaims);
            }
            return Fail(token, error.Contains("Signature", StringComparison.Ordinal) ? TokenFailure.Signature : TokenFailure.Malformed);
        }
        if (role is null || exp is null)
        {
            return Fail(token, TokenFailure.MissingClaims);
        }
        return new TokenCheck(token, result.PayloadJson, role, DateTimeOffset.FromUnixTimeSeconds(exp.Value), TokenFailure.None, 0) { Subject = subject };
    }

    private static TokenCheck Fail(string? token, TokenFailure failure, long ago = 0) =>
        new(token, null, null, DateTimeOffset.MinValue, failure, ago);

    private static bool TryReadPayload(string segment, out long? exp, out string? role, out string? subject)
    {
        exp = null;
        role = null;
        subject = null;
        try
        {
            using var doc = JsonDocument.Parse(Base64UrlEncoder.Decode(segment));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
            if (doc.RootElement.TryGetProperty("exp", out var e) && e.ValueKind == JsonValueKind.Number)
            {
                exp = (long)Math.Round(e.GetDouble());
            }
            if (doc.RootElement.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String)
            {
                role = r.GetString();
            }
            if (doc.RootElement.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String)
            {
                subject = sub.GetString();
            }
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return false;
        }
    }
}
