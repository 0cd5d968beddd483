using Microsoft.Playwright;
using StrideCampus.AiChat.WebDemo;

namespace StrideCampus.AiChat.BrowserTests.Infrastructure;

/// <summary>
/// One web demo (LocalStack on real PostgreSQL, the app's server, a <see cref="FaultProxy"/> between the
/// browser and LocalStack) and one Chromium for the whole collection. Chromium is Debian's
/// <c>/usr/bin/chromium</c> (or <c>AICHAT_CHROMIUM</c>), never a downloaded browser; Playwright launches it
/// with a new empty profile.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private WebDemoHost? _host;
    private FaultProxy? _gate;

    public WebDemoHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public FaultProxy Gate => _gate ?? throw new InvalidOperationException("Not started.");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Not started.");

    /// <summary>Where screenshots go (kept after the run as test artifacts).</summary>
    public string ArtifactsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts");

    public static string ChromiumPath => Environment.GetEnvironmentVariable("AICHAT_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"No Chromium at {ChromiumPath}: install Debian's (apt-get install chromium) or set AICHAT_CHROMIUM. .ci/run installs it.");
        }
        Directory.CreateDirectory(ArtifactsDirectory);
        Assertions.SetDefaultExpectTimeout(20_000);
        _host = await WebDemoHost.StartAsync(new WebDemoHostOptions
        {
            BrowserApiUrl = api => (_gate = new FaultProxy(api.Port)).Url,
            BrowserDebugLogging = true,
            // Slow enough that a loaded machine still renders the reply at several lengths in the other tab.
            AssistantWordDelay = TimeSpan.FromMilliseconds(150),
            // AICHAT_WEBDEMO_WEBROOT=<publish dir>/wwwroot runs the tests on a published (trimmed, compressed) build.
            WebRoot = Environment.GetEnvironmentVariable("AICHAT_WEBDEMO_WEBROOT") is { Length: > 0 } root ? root : null,
        });
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Playwright gives every launch a new, empty, temporary profile (user data dir).
            Args =
            [
                "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>A new browser context: another browser profile, as a second person's browser would be.</summary>
    public Task<IBrowserContext> NewContextAsync(int width = 1280, int height = 800) =>
        Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        if (_gate is not null)
        {
            await _gate.DisposeAsync();
        }
    }
}
