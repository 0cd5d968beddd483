using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>The fields of GoTrue's user JSON that the SDK reads.</summary>
internal sealed class GoTrueUserResponse
{
    [JsonPropertyName("id")]
    public Guid Id { get; set; }

    [JsonPropertyName("email")]
    public string? Email { get; set; }
}
