using System.Diagnostics;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// The floor of every realtime path: a bare Npgsql logical replication consumer of publication
/// <c>supabase_realtime</c> (pgoutput, its own temporary slot). Reports each INSERT/UPDATE the moment it arrives.
/// </summary>
internal sealed class PgOutputListener : IAsyncDisposable
{
    private readonly LogicalReplicationConnection _connection;
    private readonly CancellationTokenSource _stop;
    private readonly Task _reader;

    private PgOutputListener(LogicalReplicationConnection connection, CancellationTokenSource stop, Task reader)
    {
        _connection = connection;
        _stop = stop;
        _reader = reader;
    }

    public static async Task<PgOutputListener> StartAsync(string connectionString, Action<ReplicatedRow> onRow, CancellationToken ct)
    {
        var connection = new LogicalReplicationConnection(connectionString);
        await connection.Open(ct);
        var slot = await connection.CreatePgOutputReplicationSlot(
            "bench_" + Guid.NewGuid().ToString("N")[..16], temporarySlot: true, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport, cancellationToken: ct);
        var stop = new CancellationTokenSource();
        var reader = Task.Run(() => ReadAsync(connection, slot, onRow, stop.Token), CancellationToken.None);
        return new PgOutputListener(connection, stop, reader);
    }

    private static async Task ReadAsync(LogicalReplicationConnection connection, PgOutputReplicationSlot slot, Action<ReplicatedRow> onRow, CancellationToken ct)
    {
        try
        {
            var options = new PgOutputReplicationOptions("supabase_realtime", PgOutputProtocolVersion.V1);
            await foreach (var message in connection.StartReplication(slot, options, ct))
            {
                var received = Stopwatch.GetTimestamp();
                switch (message)
                {
                    case InsertMessage insert:
                        onRow(new ReplicatedRow(ReplicatedRowKind.Insert, insert.Relation.RelationName, await ReadRowAsync(insert.NewRow, ct), received));
                        break;
                    case UpdateMessage update:
                        onRow(new ReplicatedRow(ReplicatedRowKind.Update, update.Relation.RelationName, await ReadRowAsync(update.NewRow, ct), received));
                        break;
                }

                connection.SetReplicationStatus(message.WalEnd);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<IReadOnlyList<string?>> ReadRowAsync(ReplicationTuple row, CancellationToken ct)
    {
        var values = new List<string?>();
        await foreach (var value in row)
        {
            values.Add(value.IsDBNull || value.IsUnchangedToastedValue ? null : await value.Get<string>(ct));
        }

        return values;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (NpgsqlException)
        {
        }

        await _connection.DisposeAsync();
        _stop.Dispose();
    }
}
