using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// The API roles' statement timeouts of every Supabase project (anon 3 s, authenticated 8 s: supabase/postgres
/// <c>migrations/db/init-scripts/00000000000000-initial-schema.sql</c>), applied per request as PostgREST applies the
/// impersonated role's settings.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class StatementTimeoutTests(LocalStackFixture fixture) : IDisposable
{
    private readonly StackHttp _api = new(fixture.Stack);

    public void Dispose() => _api.Dispose();

    [Fact]
    public async Task Each_api_role_runs_with_its_own_statement_timeout_and_anon_is_cancelled_after_3_seconds()
    {
        await using (var conn = new Npgsql.NpgsqlConnection(fixture.Stack.Postgres.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("""
                create or replace function public.statement_timeout_probe(wait double precision default 0) returns text
                language sql as $$ select current_setting('statement_timeout') from pg_sleep(wait) $$;
                grant execute on function public.statement_timeout_probe(double precision) to anon, authenticated, service_role;
                """, conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var alice = await _api.SignUpAsync("timeout-a");
        var bob = await _api.SignUpAsync("timeout-b");

        Assert.Equal("\"3s\"", (await ProbeAsync(null, 0)).Body);
        Assert.Equal("\"8s\"", (await ProbeAsync(alice.AccessToken, 0)).Body);
        Assert.Equal("\"8s\"", (await ProbeAsync(bob.AccessToken, 0)).Body);
        Assert.Equal("\"0\"", (await ProbeAsync(fixture.Stack.ServiceRoleKey, 0)).Body);

        // Four seconds: over anon's limit, within authenticated's.
        var anon = ProbeAsync(null, 4);
        var user = ProbeAsync(alice.AccessToken, 4);
        var cancelled = await anon;
        Assert.True(cancelled.Status == 500, cancelled.ToString());
        Assert.Equal("57014", cancelled.Json.GetProperty("code").GetString());
        Assert.Equal(200, (await user).Status);
    }

    private Task<StackHttp.Reply> ProbeAsync(string? bearer, double wait) =>
        _api.SendAsync(HttpMethod.Post, "/rest/v1/rpc/statement_timeout_probe", bearer, $$"""{"wait":{{wait}}}""");
}
