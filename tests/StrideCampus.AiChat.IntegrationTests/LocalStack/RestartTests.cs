using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>Auth and REST on their own stack: after PostgreSQL restarts, the first request succeeds.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task Auth_and_rest_recover_from_a_postgres_restart_without_a_failed_request()
    {
        await using var stack = await LocalStackServer.StartAsync();
        using var api = new StackHttp(stack);
        var user = await api.SignUpAsync("restart");
        Assert.Equal(201, (await api.SendAsync(HttpMethod.Post, "/rest/v1/ai_chat_sessions", user.AccessToken, """{"title":"before"}""")).Status);
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Get, "/auth/v1/user", user.AccessToken)).Status);

        await stack.Postgres.StopAsync(immediate: true);
        await stack.Postgres.RestartAsync();

        var read = await api.SendAsync(HttpMethod.Get, "/rest/v1/ai_chat_sessions?select=title", user.AccessToken);
        Assert.True(read.Status == 200, read.ToString());
        Assert.Equal("""[{"title":"before"}]""", read.Body);
        var me = await api.SendAsync(HttpMethod.Get, "/auth/v1/user", user.AccessToken);
        Assert.True(me.Status == 200, me.ToString());
        var refresh = await api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", body: $$"""{"refresh_token":"{{user.RefreshToken}}"}""");
        Assert.True(refresh.Status == 200, refresh.ToString());
    }
}
