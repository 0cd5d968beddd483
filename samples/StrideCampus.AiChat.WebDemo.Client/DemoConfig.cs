using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.WebDemo.Client;

/// <summary>Where the app finds its Supabase project: served by the host as <c>/config.json</c>.</summary>
/// <param name="Url">The project URL (LocalStack's, when the demo host runs it).</param>
/// <param name="AnonKey">The project's anon key.</param>
/// <param name="DebugLogging">Whether the SDK logs at debug level to the browser console (the browser tests turn it on).</param>
/// <param name="AssistantWordDelayMs">The offline responder's pause before each word.</param>
internal sealed record DemoConfig(Uri Url, string AnonKey, bool DebugLogging = false, int AssistantWordDelayMs = 60)
{
    public static async Task<DemoConfig> LoadAsync(HttpClient http, CancellationToken cancellationToken = default) =>
        await http.GetFromJsonAsync("config.json", DemoConfigJsonContext.Default.DemoConfig, cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException("config.json is empty.");
}

/// <summary>Source-generated JSON for <see cref="DemoConfig"/> (the app is trimmed).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DemoConfig))]
internal sealed partial class DemoConfigJsonContext : JsonSerializerContext;
