using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>GoTrue's session JSON (signup, token grants). Signup without auto-confirm returns the user alone.</summary>
internal sealed class GoTrueSessionResponse
{
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; set; }

    [JsonPropertyName("refresh_token")]
    public string? RefreshToken { get; set; }

    [JsonPropertyName("expires_in")]
    public long? ExpiresIn { get; set; }

    [JsonPropertyName("expires_at")]
    public long? ExpiresAt { get; set; }

    [JsonPropertyName("user")]
    public GoTrueUserResponse? User { get; set; }

    // Signup with email confirmation on answers with the user's fields at the top level.
    [JsonPropertyName("id")]
    public Guid? Id { get; set; }

    [JsonPropertyName("email")]
    public string? Email { get; set; }
}
