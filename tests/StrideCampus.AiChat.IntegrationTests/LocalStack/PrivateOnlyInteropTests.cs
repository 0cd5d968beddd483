using System.Text.Json.Nodes;
using StrideCampus.AiChat.IntegrationTests.HostedLimits;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// The official supabase-js (tests/interop/realtime-private-only.mjs) against LocalStack with private channels only and a
/// lowered record limit: it sees the public join refused with Supabase's reason (CHANNEL_ERROR), and a change over the
/// limit with its short values and the 413 error, as against hosted Supabase.
/// </summary>
[Collection(PrivateOnlyCollection.Name)]
public sealed class PrivateOnlyInteropTests(PrivateOnlyFixture fixture)
{
    [Fact]
    public async Task Official_client_gets_the_PrivateOnly_refusal_and_a_413_change_as_on_hosted_Supabase()
    {
        var stack = fixture.Stack;
        var user = await RealtimeTestData.CreateUserAsync(stack);
        var session = await RealtimeTestData.CreateSessionAsync(stack, user);
        var readyFile = Path.Combine(Path.GetTempPath(), $"rt-private-only-{Guid.NewGuid():N}");
        var run = NodeScript.RunAsync("realtime-private-only.mjs", new Dictionary<string, string>
        {
            ["API_URL"] = stack.ApiUrl.ToString(),
            ["ANON_KEY"] = stack.AnonKey,
            ["TOKEN"] = RealtimeTestData.Token(stack, user),
            ["USER"] = user.ToString(),
            ["READY_FILE"] = readyFile,
        }, TimeSpan.FromSeconds(90));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(readyFile))
        {
            if (run.IsCompleted)
            {
                Assert.Fail("script ended before READY: " + await run);
            }
            Assert.True(DateTime.UtcNow < deadline, "script never became READY");
            await Task.Delay(50);
        }
        File.Delete(readyFile);

        const string Insert = "insert into public.ai_chat_messages (session_id, user_id, content) values ($1, $2, $3)";
        await RealtimeTestData.ExecuteAsync(stack, Insert, session, user, new string('漢', 95_000)); // 285 KB of UTF-8 over 256 KiB
        await RealtimeTestData.ExecuteAsync(stack, Insert, session, user, "END");

        var result = await run;
        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = JsonNode.Parse(result.StdOut.Trim().Split('\n')[^1])!;
        Assert.Equal("PrivateOnly: This project only allows private channels", summary["refused"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("content", summary["large"]!["keys"]!.AsArray().Select(k => k!.GetValue<string>()));
    }
}
