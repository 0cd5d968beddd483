using System.Collections.Concurrent;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace StrideCampus.AiChat.BrowserTests.Infrastructure;

/// <summary>One browser tab of the web demo and the actions a person takes in it.</summary>
public sealed class ChatTab
{
    private readonly ConcurrentQueue<string> _console = new();

    private ChatTab(IPage page)
    {
        Page = page;
        page.Console += (_, message) => _console.Enqueue($"[{message.Type}] {message.Text}");
        page.PageError += (_, error) => _console.Enqueue("[pageerror] " + error);
    }

    public IPage Page { get; }

    /// <summary>From the start of navigation to the sign-in form on screen (the app downloaded, started and rendered).</summary>
    public TimeSpan LoadTime { get; private set; }

    /// <summary>The bytes this tab's load took over the network (compressed sizes; 0 for what came from the cache).</summary>
    public Task<long> TransferredBytesAsync() => Page.EvaluateAsync<long>(
        "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((sum, e) => sum + e.transferSize, 0)");

    /// <summary>What the page logged (for failure messages).</summary>
    public string ConsoleLog => string.Join(Environment.NewLine, _console);

    public ILocator Live => Page.GetByTestId("live");

    public ILocator Sessions => Page.GetByTestId("session");

    public ILocator ActiveSession => Page.Locator("[data-testid=session][data-active=true]");

    public ILocator Messages => Page.GetByTestId("message");

    public ILocator Session(string title) => Sessions.Filter(new LocatorFilterOptions { Has = Page.GetByTestId("session-title").GetByText(title, new LocatorGetByTextOptions { Exact = true }) });

    /// <summary>Opens a tab; <paramref name="opened"/> sees it before it loads, so its console is kept even if loading fails.</summary>
    public static async Task<ChatTab> OpenAsync(IBrowserContext context, Uri url, Action<ChatTab> opened)
    {
        var page = await context.NewPageAsync();
        var tab = new ChatTab(page);
        opened(tab);
        await page.GotoAsync(url.ToString());
        // The moment the sign-in form appears, measured by the page's own clock from the start of navigation.
        var shown = await page.WaitForFunctionAsync(
            "() => document.querySelector('[data-testid=email]') ? performance.now() : null", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        tab.LoadTime = TimeSpan.FromMilliseconds(await shown.JsonValueAsync<double>());
        await Expect(page.GetByTestId("email")).ToBeVisibleAsync();
        return tab;
    }

    public async Task SignInAsync(string email, string password, bool createAccount)
    {
        await Page.GetByTestId("email").FillAsync(email);
        await Page.GetByTestId("password").FillAsync(password);
        await Page.GetByTestId(createAccount ? "sign-up" : "sign-in").ClickAsync();
        await Expect(Live).ToHaveAttributeAsync("data-state", "live");
    }

    public async Task NewSessionAsync(string title)
    {
        var before = await Sessions.CountAsync();
        await Page.GetByTestId("new-session").ClickAsync();
        await Expect(Sessions).ToHaveCountAsync(before + 1);
        await ActiveSession.GetByTestId("rename").ClickAsync();
        await Page.GetByTestId("rename-input").FillAsync(title);
        await Page.GetByTestId("rename-input").PressAsync("Enter");
        await Expect(ActiveSession.GetByTestId("session-title")).ToContainTextAsync(title);
    }

    public async Task SendAsync(string text)
    {
        await Page.GetByTestId("composer").FillAsync(text);
        await Page.GetByTestId("send").ClickAsync();
    }

    public ILocator AssistantMessages => Page.Locator("[data-testid=message][data-role=assistant]");

    /// <summary>Records every length the last assistant message takes in this tab, from now on (read with <see cref="StreamedLengthsAsync"/>).</summary>
    public Task RecordStreamedLengthsAsync() => Page.EvaluateAsync("""
        () => {
            window.__lengths = [];
            const record = () => {
                const bubbles = document.querySelectorAll('[data-testid=message][data-role=assistant] .bubble');
                if (bubbles.length === 0) return;
                const length = bubbles[bubbles.length - 1].textContent.length;
                const seen = window.__lengths;
                if (seen[seen.length - 1] !== length) seen.push(length);
            };
            new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
        }
        """);

    public Task<int[]> StreamedLengthsAsync() => Page.EvaluateAsync<int[]>("() => window.__lengths");

    public async Task SwitchToAsync(string title)
    {
        await Session(title).GetByTestId("session-title").ClickAsync();
        await Expect(ActiveSession.GetByTestId("session-title")).ToContainTextAsync(title);
    }

    public async Task DeleteAsync(string title)
    {
        await Session(title).GetByTestId("delete").ClickAsync();
        await Expect(Session(title)).ToHaveCountAsync(0);
    }

    public Task ScreenshotAsync(string path) => Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
}
