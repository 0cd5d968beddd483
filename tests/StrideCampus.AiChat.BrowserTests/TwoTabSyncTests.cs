using Microsoft.Playwright;
using StrideCampus.AiChat.BrowserTests.Infrastructure;
using StrideCampus.AiChat.WebDemo.Client.Assistant;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace StrideCampus.AiChat.BrowserTests;

/// <summary>
/// The seed's browser tabs for real: the Blazor WebAssembly demo in Chromium, two tabs of one user kept in
/// sync through LocalStack (real PostgreSQL, RLS, logical replication), and a second user who sees none of it.
/// </summary>
[Collection("browser")]
public sealed class TwoTabSyncTests(BrowserFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Password = "browser-password-1";
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<ChatTab> _tabs = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        fixture.Gate.RefuseRealtime = false;
        foreach (var tab in _tabs)
        {
            output.WriteLine($"--- console of a tab at {tab.Page.Url}:{Environment.NewLine}{tab.ConsoleLog}");
        }
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task Two_tabs_of_one_user_stay_in_sync_and_another_user_sees_none_of_it()
    {
        var (tab1, tab2) = await TwoTabsOfOneUserAsync();

        // A session created in tab 1 appears in tab 2, as the active one.
        await tab1.NewSessionAsync("Trip to Lisbon");
        await Expect(tab2.Session("Trip to Lisbon")).ToHaveCountAsync(1);
        await Expect(tab2.ActiveSession).ToContainTextAsync("Trip to Lisbon");

        // A message sent in tab 1 appears in tab 2, and the assistant's reply grows there, word by word, to the exact text.
        await tab2.RecordStreamedLengthsAsync();
        const string question = "Plan three relaxed days, please.";
        await tab1.SendAsync(question);
        await Expect(tab2.Messages.Filter(new LocatorFilterOptions { HasText = question })).ToHaveCountAsync(1);
        var reply = OfflineReplies.For(1);
        var finished = tab2.AssistantMessages.And(tab2.Page.Locator("[data-status=complete]"));
        await Expect(finished).ToHaveCountAsync(1);
        await Expect(finished).ToHaveTextAsync(reply);
        await Expect(tab1.AssistantMessages.And(tab1.Page.Locator("[data-status=complete]"))).ToHaveTextAsync(reply);
        var lengths = await tab2.StreamedLengthsAsync();
        output.WriteLine("Lengths of the reply seen in tab 2: " + string.Join(", ", lengths));
        var intermediate = lengths.Where(l => l > 0 && l < reply.Length).Distinct().ToList();
        Assert.True(intermediate.Count >= 3, $"tab 2 saw the reply at {intermediate.Count} intermediate lengths: {string.Join(", ", lengths)}");
        Assert.Equal(intermediate.Order(), intermediate);

        // A new session from tab 2, then a switch back in tab 2: tab 1 follows both.
        await tab2.NewSessionAsync("Weekend recipes");
        await Expect(tab1.ActiveSession).ToContainTextAsync("Weekend recipes");
        await tab2.SwitchToAsync("Trip to Lisbon");
        await Expect(tab1.ActiveSession).ToContainTextAsync("Trip to Lisbon");
        await Expect(tab1.Page.GetByTestId("chat-title")).ToHaveTextAsync("Trip to Lisbon");
        await Expect(tab1.Messages).ToHaveCountAsync(2);

        // A second user, in another browser context, sees none of it; the first user sees none of theirs.
        var other = await OpenAsync(await NewContextAsync());
        await other.SignInAsync(NewEmail(), Password, createAccount: true);
        await Expect(other.Page.GetByTestId("stat-sessions")).ToHaveTextAsync("0 sessions");
        await other.NewSessionAsync("Someone else's plans");
        await tab1.NewSessionAsync("Packing list");
        await Expect(tab2.Session("Packing list")).ToHaveCountAsync(1);
        await Expect(other.Sessions).ToHaveCountAsync(1);
        await Expect(other.Messages).ToHaveCountAsync(0);
        foreach (var tab in new[] { tab1, tab2 })
        {
            await Expect(tab.Session("Someone else's plans")).ToHaveCountAsync(0);
            await Expect(tab.Sessions).ToHaveCountAsync(3);
        }

        // A delete in tab 1 removes the session in both tabs.
        await tab1.DeleteAsync("Weekend recipes");
        await Expect(tab2.Session("Weekend recipes")).ToHaveCountAsync(0);
        await Expect(tab2.Sessions).ToHaveCountAsync(2);

        await tab2.SwitchToAsync("Trip to Lisbon");
        await Expect(tab1.Page.GetByTestId("chat-title")).ToHaveTextAsync("Trip to Lisbon");
        await tab1.ScreenshotAsync(Path.Combine(fixture.ArtifactsDirectory, "tab1.png"));
        await tab2.ScreenshotAsync(Path.Combine(fixture.ArtifactsDirectory, "tab2.png"));
        await SideBySideAsync(Path.Combine(fixture.ArtifactsDirectory, "both-tabs.png"), "tab1.png", "tab2.png");
        output.WriteLine("Screenshots: " + fixture.ArtifactsDirectory);
    }

    [Fact]
    public async Task Taking_realtime_away_turns_the_indicator_red_and_bringing_it_back_turns_it_green_and_catches_up()
    {
        var (tab1, tab2) = await TwoTabsOfOneUserAsync();
        await tab1.NewSessionAsync("Before the outage");
        await Expect(tab2.Session("Before the outage")).ToHaveCountAsync(1);

        fixture.Gate.RefuseRealtime = true;
        await Expect(tab1.Live).ToHaveAttributeAsync("data-state", "offline");
        await Expect(tab2.Live).ToHaveAttributeAsync("data-state", "offline");

        // REST still works: tab 1 writes while no tab hears of it live.
        await tab1.NewSessionAsync("Written during the outage");

        fixture.Gate.RefuseRealtime = false;
        var reconnect = new LocatorAssertionsToHaveAttributeOptions { Timeout = 40_000 };
        await Expect(tab2.Live).ToHaveAttributeAsync("data-state", "live", reconnect);
        await Expect(tab1.Live).ToHaveAttributeAsync("data-state", "live", reconnect);
        await Expect(tab2.Session("Written during the outage")).ToHaveCountAsync(1);
        await Expect(tab2.ActiveSession).ToContainTextAsync("Written during the outage");

        // And it is live again.
        await tab1.SwitchToAsync("Before the outage");
        await Expect(tab2.ActiveSession).ToContainTextAsync("Before the outage");
    }

    [Fact]
    public async Task A_first_load_at_phone_width_signs_in_and_streams_a_reply_without_sideways_scrolling()
    {
        // A new context has an empty cache: this is a first load.
        var tab = await OpenAsync(await NewContextAsync(390, 844));
        var bytes = await tab.TransferredBytesAsync();
        var firstLoad = $"First load in Chromium (empty cache): sign-in form after {tab.LoadTime.TotalMilliseconds:F0} ms, {bytes / 1024.0 / 1024.0:F2} MiB transferred";
        output.WriteLine(firstLoad);
        await File.WriteAllTextAsync(Path.Combine(fixture.ArtifactsDirectory, "first-load.txt"), firstLoad + Environment.NewLine);
        await tab.SignInAsync(NewEmail(), Password, createAccount: true);
        await tab.NewSessionAsync("On the go");
        await tab.SendAsync("Hello from a phone");
        await Expect(tab.AssistantMessages.And(tab.Page.Locator("[data-status=complete]"))).ToHaveTextAsync(OfflineReplies.For(1));
        var overflow = await tab.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth");
        Assert.False(overflow, "the page scrolls sideways at phone width");
        await tab.ScreenshotAsync(Path.Combine(fixture.ArtifactsDirectory, "phone.png"));
    }

    /// <summary>The two tabs' screenshots side by side in one image (the README's picture), drawn by the browser itself.</summary>
    private async Task SideBySideAsync(string path, string left, string right)
    {
        string DataUrl(string name) => "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(Path.Combine(fixture.ArtifactsDirectory, name)));
        var context = await NewContextAsync(1600, 530);
        var page = await context.NewPageAsync();
        await page.SetContentAsync($"""
            <body style="margin:0;padding:10px;background:#d1d5db;display:flex;gap:10px;font:13px system-ui">
              <figure style="margin:0;flex:1"><figcaption>Tab 1</figcaption><img style="width:100%;border:1px solid #9ca3af" src="{DataUrl(left)}"></figure>
              <figure style="margin:0;flex:1"><figcaption>Tab 2</figcaption><img style="width:100%;border:1px solid #9ca3af" src="{DataUrl(right)}"></figure>
            </body>
            """);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
    }

    private static string NewEmail() => $"tab-{Guid.NewGuid():N}@example.test";

    private async Task<(ChatTab, ChatTab)> TwoTabsOfOneUserAsync()
    {
        var context = await NewContextAsync();
        var email = NewEmail();
        var tab1 = await OpenAsync(context);
        await tab1.SignInAsync(email, Password, createAccount: true);
        var tab2 = await OpenAsync(context);
        await tab2.SignInAsync(email, Password, createAccount: false);
        return (tab1, tab2);
    }

    private async Task<IBrowserContext> NewContextAsync(int width = 1280, int height = 800)
    {
        var context = await fixture.NewContextAsync(width, height);
        _contexts.Add(context);
        return context;
    }

    private Task<ChatTab> OpenAsync(IBrowserContext context) => ChatTab.OpenAsync(context, fixture.Host.Url, _tabs.Add);
}
