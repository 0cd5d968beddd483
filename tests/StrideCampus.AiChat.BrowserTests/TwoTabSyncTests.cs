using Microsoft.Playwright;
using StrideCampus.AiChat.BrowserTests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace StrideCampus.AiChat.BrowserTests;

[Collection("browser")]
public sealed class TwoTabSyncTests(BrowserFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<ChatTab> _tabs = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var tab in _tabs)
        {
            output.WriteLine($"--- console of {tab.Page.Url}:{Environment.NewLine}{tab.ConsoleLog}");
        }
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_session_and_a_message_created_in_tab_one_appear_in_tab_two()
    {
        var (tab1, tab2) = await TwoTabsOfOneUserAsync();

        await tab1.NewSessionAsync("Trip to Lisbon");
        await Expect(tab2.Session("Trip to Lisbon")).ToHaveCountAsync(1);

        await tab1.SendAsync("Plan three relaxed days, please.");
        await Expect(tab2.Messages.Filter(new LocatorFilterOptions { HasText = "Plan three relaxed days, please." })).ToHaveCountAsync(1);
    }

    private async Task<(ChatTab, ChatTab)> TwoTabsOfOneUserAsync()
    {
        var context = await fixture.NewContextAsync();
        _contexts.Add(context);
        var email = $"tab-{Guid.NewGuid():N}@example.test";
        const string password = "browser-password-1";
        var tab1 = await OpenAsync(context);
        await tab1.SignInAsync(email, password, createAccount: true);
        var tab2 = await OpenAsync(context);
        await tab2.SignInAsync(email, password, createAccount: false);
        return (tab1, tab2);
    }

    private async Task<ChatTab> OpenAsync(IBrowserContext context)
    {
        return await ChatTab.OpenAsync(context, fixture.Host.Url, _tabs.Add);
    }
}
