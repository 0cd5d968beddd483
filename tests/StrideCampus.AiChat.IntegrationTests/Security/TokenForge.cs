using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace StrideCampus.AiChat.IntegrationTests.Security;

/// <summary>Builds hostile JWTs: signed with a wrong secret, or with an edited payload and the old signature.</summary>
internal static class TokenForge
{
    public static string Sign(JsonObject payload, string secret)
    {
        var header = B64(Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}"""));
        var body = B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + body));
        return header + "." + body + "." + B64(signature);
    }

    public static JsonObject Claims(Guid sub, string role = "authenticated", TimeSpan? lifetime = null)
    {
        var now = DateTimeOffset.UtcNow;
        return new JsonObject
        {
            ["sub"] = sub.ToString(),
            ["role"] = role,
            ["aud"] = "authenticated",
            ["iat"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
            ["exp"] = now.Add(lifetime ?? TimeSpan.FromHours(1)).ToUnixTimeSeconds(),
        };
    }

    /// <summary>The payload of <paramref name="token"/> edited and re-encoded, the original signature kept.</summary>
    public static string EditPayload(string token, Action<JsonObject> edit)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Unb64(parts[1]))!.AsObject();
        edit(payload);
        return parts[0] + "." + B64(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];
    }

    public static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Unb64(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
