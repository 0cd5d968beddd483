using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.WebDemo;

/// <summary>How <see cref="WebDemoHost"/> starts.</summary>
public sealed class WebDemoHostOptions
{
    /// <summary>The app's HTTP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>
    /// A folder with the app's files (the <c>wwwroot</c> of a published build); by default the client project's
    /// build output (dotnet run, tests) or the <c>wwwroot</c> beside this host (published).
    /// </summary>
    public string? WebRoot { get; set; }

    /// <summary>The embedded LocalStack's settings.</summary>
    public LocalStackOptions LocalStack { get; set; } = new();

    /// <summary>
    /// The Supabase URL handed to the browser, given LocalStack's own (by default LocalStack's own; tests put a
    /// proxy in between to take realtime away).
    /// </summary>
    public Func<Uri, Uri>? BrowserApiUrl { get; set; }

    /// <summary>The offline responder's pause before each word of a reply.</summary>
    public TimeSpan AssistantWordDelay { get; set; } = TimeSpan.FromMilliseconds(60);

    /// <summary>Whether the app logs the SDK's debug events to the browser console.</summary>
    public bool BrowserDebugLogging { get; set; }
}
