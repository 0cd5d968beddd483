namespace StrideCampus.AiChat.Client;

/// <summary>The one check of the project URL and key every client's options get, with the same clear error.</summary>
internal static class ProjectUrl
{
    /// <exception cref="ArgumentNullException"><paramref name="url"/> or <paramref name="apiKey"/> is null.</exception>
    /// <exception cref="ArgumentException">The URL is not an absolute http(s) URL, or the key is blank.</exception>
    public static void Validate(Uri? url, string? apiKey, string optionsName)
    {
        if (url is null)
        {
            throw new ArgumentNullException(optionsName, "Url is required: the Supabase project URL, e.g. https://xyz.supabase.co.");
        }

        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            throw new ArgumentException($"Url must be an absolute http(s) URL such as https://xyz.supabase.co (got '{url}').", optionsName);
        }

        if (apiKey is null)
        {
            throw new ArgumentNullException(optionsName, "ApiKey is required: the project's anon key.");
        }

        if (string.IsNullOrWhiteSpace(apiKey))
        {
            throw new ArgumentException("ApiKey must not be blank: the project's anon key.", optionsName);
        }
    }
}
