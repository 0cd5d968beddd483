using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>The official supabase-js (pinned in tests/interop) against LocalStack: auth and REST.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class InteropTests(LocalStackFixture fixture)
{
    private Dictionary<string, string> Environment => new()
    {
        ["API_URL"] = fixture.Stack.ApiUrl.ToString().TrimEnd('/'),
        ["ANON_KEY"] = fixture.Stack.AnonKey,
        ["SERVICE_ROLE_KEY"] = fixture.Stack.ServiceRoleKey,
    };

    [Fact]
    public async Task Official_client_signs_up_signs_in_refreshes_and_signs_out()
    {
        var result = await NodeScript.RunAsync("auth.mjs", Environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("""{"ok":true,"signUp":true,"errors":true,"refresh":true,"reuse":true,"scope":true,"signOut":true,"tokens":true,"admin":true}""", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Official_client_reads_and_writes_as_two_isolated_users()
    {
        var result = await NodeScript.RunAsync("rest.mjs", Environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("""{"ok":true,"insert":true,"jsonPath":true,"embedding":true,"count":true,"filters":true,"single":true,"mutations":true,"isolation":true,"errors":true,"delete":true}""", result.StdOut, StringComparison.Ordinal);
    }
}
