using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>Body of <c>signup</c> and <c>token?grant_type=password</c>.</summary>
internal sealed class GoTruePasswordRequest
{
    [JsonPropertyName("email")]
    public required string Email { get; init; }

    [JsonPropertyName("password")]
    public required string Password { get; init; }
}
