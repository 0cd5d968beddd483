using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// The one logical replication stream of the stack: pgoutput on publication
/// <c>supabase_realtime</c> through a temporary slot (dropped by PostgreSQL when the connection
/// ends), decoded into <see cref="RowChange"/>s in commit order. Reconnects with a new slot after
/// a failure (changes committed while disconnected are not replayed, as with Supabase); when it
/// streams again after such a gap it raises <see cref="Resumed"/> so subscribers can be told to resync.
/// </summary>
internal sealed class ReplicationListener : IAsyncDisposable
{
    public const string Publication = "supabase_realtime";

    private static int _slotCounter;
    private readonly string _connectionString;
    private readonly RelationCatalog _catalog;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<uint, RelationInfo> _relations = [];
    private Task? _loop;
    private volatile bool _streaming;
    private bool _hasStreamed;
    private ulong _commitLsn;
    private uint _xid;

    public ReplicationListener(string connectionString, RelationCatalog catalog, ILogger logger, int maxQueuedChanges = RealtimeOptions.DefaultMaxQueuedChanges)
    {
        Changes = new ChangeQueue(maxQueuedChanges);
        _connectionString = connectionString;
        _catalog = catalog;
        _logger = logger;
    }

    /// <summary>Decoded changes waiting for the dispatcher (bounded: a dispatcher too far behind sheds changes).</summary>
    public ChangeQueue Changes { get; }

    /// <summary>Completes when the stream first runs.</summary>
    public Task Ready => _ready.Task;

    public bool IsStreaming => _streaming;

    /// <summary>Raised on the replication loop when the stream runs again after a failure (a gap in changes).</summary>
    public event Action? Resumed;

    /// <summary>The slot in use, for diagnostics.</summary>
    public string? SlotName { get; private set; }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await StreamAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                _streaming = false;
                failures++;
                _logger.LogWarning(ex, "Replication stream failed (attempt {Attempt}); reconnecting", failures);
            }
            _streaming = false;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 200 * Math.Max(1, failures))), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        Changes.Complete();
    }

    private async Task StreamAsync(CancellationToken cancellationToken)
    {
        await using var conn = new LogicalReplicationConnection(_connectionString);
        await conn.Open(cancellationToken).ConfigureAwait(false);
        var slotName = $"stridecampus_realtime_{Environment.ProcessId}_{Interlocked.Increment(ref _slotCounter)}";
        var slot = await conn.CreatePgOutputReplicationSlot(slotName, temporarySlot: true, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport, cancellationToken: cancellationToken).ConfigureAwait(false);
        SlotName = slotName;
        _relations.Clear();
        var options = new PgOutputReplicationOptions(Publication, PgOutputProtocolVersion.V1);
        var replication = conn.StartReplication(slot, options, cancellationToken);
        using var confirming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var confirmer = ConfirmReceivedAsync(conn, confirming.Token);
        try
        {
            await ConsumeAsync(conn, replication, slotName, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await confirming.CancelAsync().ConfigureAwait(false);
            await confirmer.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Confirms everything received, every 500 ms. Commits alone are not enough: WAL that no transaction carries (a
    /// checkpoint, the background writer's running-xacts record) follows the last commit, and a fast shutdown waits
    /// until the client's flush position equals what the walsender sent (postgres
    /// src/backend/replication/walsender.c, WalSndDone), else until wal_sender_timeout. The slot is temporary and
    /// never resumed (a new stream starts a new slot), so confirming more than was decoded loses nothing.
    /// </summary>
    private async Task ConfirmReceivedAsync(LogicalReplicationConnection conn, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var received = conn.LastReceivedLsn;
                if (received > conn.LastFlushedLsn)
                {
                    conn.SetReplicationStatus(received);
                    await conn.SendStatusUpdate(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or ObjectDisposedException or IOException)
        {
            // The stream ended or broke; the consumer's own error decides what happens next.
            _logger.LogDebug(ex, "Confirming the replication position stopped");
        }
    }

    private async Task ConsumeAsync(LogicalReplicationConnection conn, IAsyncEnumerable<PgOutputReplicationMessage> replication, string slotName, CancellationToken cancellationToken)
    {
        var commitTimestamp = DateTime.UtcNow;
        _streaming = true;
        _ready.TrySetResult();
        _logger.LogInformation("Replication streaming from slot {Slot} on publication {Publication}", slotName, Publication);
        if (_hasStreamed)
        {
            try
            {
                Resumed?.Invoke();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
            {
                _logger.LogWarning(ex, "Telling subscribers about the replication gap failed");
            }
        }
        _hasStreamed = true;
        await foreach (var message in replication.ConfigureAwait(false))
        {
            switch (message)
            {
                case BeginMessage begin:
                    commitTimestamp = begin.TransactionCommitTimestamp;
                    _commitLsn = (ulong)begin.TransactionFinalLsn;
                    _xid = begin.TransactionXid;
                    break;
                case RelationMessage relation:
                    _relations[relation.RelationId] = await _catalog.DescribeAsync(
                        relation.RelationId, relation.Namespace, relation.RelationName,
                        relation.Columns.Select(c => (c.ColumnName, c.DataTypeId)).ToList(), cancellationToken).ConfigureAwait(false);
                    break;
                case InsertMessage insert:
                    await EmitAsync(insert.Relation.RelationId, ChangeKind.Insert, commitTimestamp, insert.NewRow, null, cancellationToken).ConfigureAwait(false);
                    break;
                case FullUpdateMessage update:
                {
                    var old = await ReadAsync(update.OldRow, cancellationToken).ConfigureAwait(false);
                    await EmitAsync(update.Relation.RelationId, ChangeKind.Update, commitTimestamp, update.NewRow, old, cancellationToken).ConfigureAwait(false);
                    break;
                }
                case IndexUpdateMessage update:
                {
                    var old = await ReadAsync(update.Key, cancellationToken).ConfigureAwait(false);
                    await EmitAsync(update.Relation.RelationId, ChangeKind.Update, commitTimestamp, update.NewRow, old, cancellationToken, oldIsKey: true).ConfigureAwait(false);
                    break;
                }
                case UpdateMessage update:
                    await EmitAsync(update.Relation.RelationId, ChangeKind.Update, commitTimestamp, update.NewRow, null, cancellationToken).ConfigureAwait(false);
                    break;
                case FullDeleteMessage delete:
                    Publish(delete.Relation.RelationId, ChangeKind.Delete, commitTimestamp, null, await ReadAsync(delete.OldRow, cancellationToken).ConfigureAwait(false));
                    break;
                case KeyDeleteMessage delete:
                    Publish(delete.Relation.RelationId, ChangeKind.Delete, commitTimestamp, null, await ReadAsync(delete.Key, cancellationToken).ConfigureAwait(false), oldIsKey: true);
                    break;
                case CommitMessage when message.WalEnd > conn.LastFlushedLsn: // never back behind ConfirmReceivedAsync
                    conn.SetReplicationStatus(message.WalEnd);
                    break;
            }
        }
    }

    private async Task EmitAsync(uint relationId, ChangeKind kind, DateTime commit, ReplicationTuple row, string?[]? old, CancellationToken cancellationToken, bool oldIsKey = false)
    {
        var values = await ReadAsync(row, cancellationToken).ConfigureAwait(false);
        Publish(relationId, kind, commit, values, old, oldIsKey);
    }

    private void Publish(uint relationId, ChangeKind kind, DateTime commit, string?[]? values, string?[]? old, bool oldIsKey = false)
    {
        if (!_relations.TryGetValue(relationId, out var relation))
        {
            _logger.LogWarning("Change for unknown relation {RelationId} skipped", relationId);
            return;
        }
        if (!Changes.TryWrite(new RowChange(relation, kind, commit, values, old, Stopwatch.GetTimestamp()) { OldIsKeyOnly = oldIsKey, CommitLsn = _commitLsn, Xid = _xid }))
        {
            _logger.LogWarning("A {Kind} on {Schema}.{Table} was shed: {Count} changes already wait for dispatch", kind, relation.Schema, relation.Table, Changes.Capacity);
        }
    }

    private static async Task<string?[]> ReadAsync(ReplicationTuple tuple, CancellationToken cancellationToken)
    {
        var values = new string?[tuple.NumColumns];
        var i = 0;
        await foreach (var value in tuple.ConfigureAwait(false))
        {
            values[i++] = value.IsDBNull ? null
                : value.IsUnchangedToastedValue ? RowChange.Unchanged
                : await value.Get<string>(cancellationToken).ConfigureAwait(false);
        }
        return values;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
        _ready.TrySetCanceled();
    }
}
