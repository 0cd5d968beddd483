using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>Body of <c>token?grant_type=refresh_token</c>.</summary>
internal sealed class GoTrueRefreshRequest
{
    [JsonPropertyName("refresh_token")]
    public required string RefreshToken { get; init; }
}
