using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

[Collection(LocalStackCollection.Name)]
public sealed class InteropSmokeTests(LocalStackFixture fixture)
{
    [Fact]
    public async Task Official_client_loads_and_reaches_the_stack()
    {
        var result = await NodeScript.RunAsync("smoke.mjs", new Dictionary<string, string>
        {
            ["API_URL"] = fixture.Stack.ApiUrl.ToString(),
            ["ANON_KEY"] = fixture.Stack.AnonKey,
        });
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("\"ok\":true", result.StdOut, StringComparison.Ordinal);
    }
}
