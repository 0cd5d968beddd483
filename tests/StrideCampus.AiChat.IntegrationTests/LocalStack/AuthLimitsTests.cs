using System.Diagnostics;
using Npgsql;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>GoTrue's limits as a Supabase project has them: bcrypt cost, refresh-token reuse interval.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class AuthLimitsTests(LocalStackFixture fixture) : IDisposable
{
    private static readonly Dictionary<string, string> Modern = new() { ["X-Supabase-Api-Version"] = "2024-01-01" };
    private readonly StackHttp _api = new(fixture.Stack);

    public void Dispose() => _api.Dispose();

    [Fact]
    public async Task Passwords_are_hashed_with_bcrypt_cost_10_as_gotrue_does()
    {
        var user = await _api.SignUpAsync("bcrypt");
        await using var conn = new NpgsqlConnection(fixture.Stack.Postgres.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select encrypted_password from auth.users where id = $1", conn) { Parameters = { new() { Value = user.Id } } };
        var hash = (string)(await cmd.ExecuteScalarAsync())!;
        Assert.StartsWith("$2a$10$", hash, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_used_refresh_token_is_accepted_again_for_ten_seconds_then_ends_the_session()
    {
        var user = await _api.SignUpAsync("reuse");
        var bystander = await _api.SignUpAsync("reuse-bystander");
        var rt1 = await RefreshAsync(user.RefreshToken);

        // The client lost the reply: the parent of the active token gets that same active token back.
        Assert.Equal(rt1, await RefreshAsync(user.RefreshToken));

        // Once the session moved on, a token used less than 10 s ago still gets a new one (GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL).
        var rt2 = await RefreshAsync(rt1);
        var again = await RefreshAsync(user.RefreshToken);
        Assert.NotEqual(rt2, again);
        await RefreshAsync(again);

        // Older than the interval (moved back in the database, not waited for): refused, and the session's tokens revoked.
        await using (var conn = new NpgsqlConnection(fixture.Stack.Postgres.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("update auth.refresh_tokens set updated_at = now() - interval '11 seconds' where token = $1", conn) { Parameters = { new() { Value = user.RefreshToken } } };
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        var refused = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", body: $$"""{"refresh_token":"{{user.RefreshToken}}"}""", headers: Modern);
        Assert.True(refused.Status == 400, refused.ToString());
        Assert.Equal("refresh_token_already_used", refused.Json.GetProperty("code").GetString());

        // The other user's session is untouched.
        Assert.NotEqual(bystander.RefreshToken, await RefreshAsync(bystander.RefreshToken));
    }

    [Fact]
    public async Task Sign_ups_from_one_address_are_limited_as_gotrue_limits_them()
    {
        // A stack with Supabase's defaults (the shared fixture turns the limits off for the suite's many sign-ups).
        await using var stack = await LocalStackServer.StartAsync(new LocalStackOptions { PasswordHashCost = 4 });
        using var api = new StackHttp(stack);
        var clock = Stopwatch.StartNew();
        var accepted = 0;
        StackHttp.Reply reply;
        while ((reply = await api.SendAsync(HttpMethod.Post, "/auth/v1/signup", body: $$"""{"email":"{{StackHttp.NewEmail("limit")}}","password":"password-123"}""", headers: Modern)).Status == 200)
        {
            accepted++;
            Assert.True(accepted < 100, "no limit");
        }
        Assert.Equal(429, reply.Status);
        Assert.Equal("over_request_rate_limit", reply.Json.GetProperty("code").GetString());
        // A burst of 30, refilled at 30 per 5 minutes (one per 10 s) while the loop ran.
        Assert.InRange(accepted, 30, 30 + (int)(clock.Elapsed.TotalSeconds / 10) + 1);

        // Sign-in has its own bucket.
        var signIn = await api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", body: """{"email":"nobody@example.test","password":"password-123"}""", headers: Modern);
        Assert.Equal("invalid_credentials", signIn.Json.GetProperty("code").GetString());
    }

    private async Task<string> RefreshAsync(string refreshToken)
    {
        var reply = await _api.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", body: $$"""{"refresh_token":"{{refreshToken}}"}""", headers: Modern);
        Assert.True(reply.Status == 200, reply.ToString());
        return reply.Json.GetProperty("refresh_token").GetString()!;
    }
}
