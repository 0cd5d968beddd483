using Npgsql;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using StrideCampus.AiChat.LocalStack.Realtime;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

/// <summary>
/// The question the primary-key visibility check asks before it looks a row up: is the change's transaction (its 32-bit
/// xid, as pgoutput's BEGIN gives it) visible to a fresh snapshot yet? The walsender can stream a commit a moment before
/// it is; a lookup in that moment would miss a new row and drop an insert that should be delivered.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class TransactionVisibilityTests(LocalStackFixture fixture)
{
    private async Task<bool> VisibleAsync(long xid)
    {
        await using var conn = new NpgsqlConnection(fixture.Stack.Postgres.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(ChangeAuthorizer.TransactionVisibleSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = xid });
        return (bool)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_transaction_is_not_visible_while_it_runs_and_is_once_it_committed()
    {
        await using var writer = new NpgsqlConnection(fixture.Stack.Postgres.ConnectionString);
        await writer.OpenAsync();
        await using var earlier = new NpgsqlCommand("select (pg_current_xact_id()::text::bigint % 4294967296)", writer);
        var earlierXid = (long)(await earlier.ExecuteScalarAsync())!; // its own transaction, committed at once
        await using var tx = await writer.BeginTransactionAsync();
        await using var assign = new NpgsqlCommand("select (pg_current_xact_id()::text::bigint % 4294967296)", writer, tx);
        var xid = (long)(await assign.ExecuteScalarAsync())!;

        Assert.False(await VisibleAsync(xid), "a running transaction");
        Assert.False(await VisibleAsync((xid + 1000) % 4294967296), "a transaction id not assigned yet");
        await tx.CommitAsync();
        Assert.True(await VisibleAsync(xid), "the committed transaction");
        Assert.True(await VisibleAsync(earlierXid), "an earlier committed transaction");
    }
}
