using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>Source-generated JSON metadata for GoTrue's payloads (no reflection, trimming and AOT safe).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GoTrueSessionResponse))]
[JsonSerializable(typeof(GoTrueUserResponse))]
[JsonSerializable(typeof(GoTruePasswordRequest))]
[JsonSerializable(typeof(GoTrueRefreshRequest))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
