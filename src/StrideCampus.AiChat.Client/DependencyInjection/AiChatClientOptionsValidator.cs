using Microsoft.Extensions.Options;

namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>Checks <see cref="AiChatClientOptions"/> at start-up, so a missing URL or key fails fast with a clear message.</summary>
internal sealed class AiChatClientOptionsValidator : IValidateOptions<AiChatClientOptions>
{
    public ValidateOptionsResult Validate(string? name, AiChatClientOptions options)
    {
        var failures = new List<string>();
        if (options.Url is null)
        {
            failures.Add("AiChat:Url is required (the Supabase project URL, e.g. https://xyz.supabase.co).");
        }
        else if (!options.Url.IsAbsoluteUri || (options.Url.Scheme != Uri.UriSchemeHttp && options.Url.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"AiChat:Url must be an absolute http(s) URL; got '{options.Url}'.");
        }
        if (string.IsNullOrWhiteSpace(options.AnonKey))
        {
            failures.Add("AiChat:AnonKey is required (the project's anon key).");
        }
        if (string.IsNullOrWhiteSpace(options.Schema))
        {
            failures.Add("AiChat:Schema must not be empty.");
        }
        if (options.HeartbeatInterval <= TimeSpan.Zero || options.RealtimeTimeout <= TimeSpan.Zero)
        {
            failures.Add("AiChat:HeartbeatInterval and AiChat:RealtimeTimeout must be positive.");
        }
        if (options.RestMaxRetries < 0)
        {
            failures.Add("AiChat:RestMaxRetries must not be negative.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
