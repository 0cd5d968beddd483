using Npgsql;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>
/// One REST request's transaction on an authenticator connection, as the request's role. The settings
/// (<c>request.jwt.claims</c>, <c>role</c>, and read-only for reads, all transaction-local) are not sent on their own:
/// they go in the same batch as the request's first statement, which PostgreSQL runs after them, so the statement
/// sees them exactly as if they had been sent first, and the request costs one round trip fewer.
/// </summary>
internal sealed class RequestTransaction : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private RequestIdentity? _pendingSettings;
    private readonly bool _readOnly;

    private RequestTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, RequestIdentity identity, bool readOnly)
    {
        _connection = connection;
        _transaction = transaction;
        _pendingSettings = identity;
        _readOnly = readOnly;
    }

    /// <summary>
    /// Whether a statement has completed on the server. Until then a connection failure means nothing ran (and the
    /// transaction, committed only by <see cref="CommitAsync"/>, cannot have committed), so the request may be retried.
    /// </summary>
    public bool ReachedServer { get; private set; }

    public static async Task<RequestTransaction> BeginAsync(NpgsqlDataSource db, RequestIdentity identity, bool readOnly, CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            return new RequestTransaction(connection, transaction, identity, readOnly);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs a statement whose first row holds a JSON text and a row count.</summary>
    public async Task<(string Json, long Rows)> QueryJsonAsync(string sql, IEnumerable<object?> parameters, CancellationToken ct)
    {
        await using var batch = Batch(sql, parameters, out var skip);
        await using var reader = await ExecuteReaderAsync(batch, skip, ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return (reader.IsDBNull(0) ? "null" : reader.GetString(0), reader.IsDBNull(1) ? 0 : reader.GetInt64(1));
    }

    /// <summary>Runs a statement and returns the first column of its first row.</summary>
    public async Task<object?> ExecuteScalarAsync(string sql, IEnumerable<object?> parameters, CancellationToken ct)
    {
        await using var batch = Batch(sql, parameters, out var skip);
        await using var reader = await ExecuteReaderAsync(batch, skip, ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) && !reader.IsDBNull(0) ? reader.GetValue(0) : null;
    }

    /// <summary>Runs a statement and returns the rows it affected.</summary>
    public async Task<int> ExecuteNonQueryAsync(string sql, IEnumerable<object?> parameters, CancellationToken ct)
    {
        await using var batch = Batch(sql, parameters, out _);
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        ReachedServer = true;
        return batch.BatchCommands[^1].RecordsAffected;
    }

    public Task CommitAsync(CancellationToken ct) => _transaction.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The statement, preceded by the settings when they have not been sent yet.</summary>
    private NpgsqlBatch Batch(string sql, IEnumerable<object?> parameters, out bool settingsFirst)
    {
        var batch = new NpgsqlBatch(_connection, _transaction);
        settingsFirst = _pendingSettings is not null;
        if (_pendingSettings is { } identity)
        {
            batch.BatchCommands.Add(RequestSettings.Command(identity.ClaimsJson, identity.Role, _readOnly, roleTimeout: true));
            _pendingSettings = null;
        }

        var command = new NpgsqlBatchCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p ?? DBNull.Value });
        }

        batch.BatchCommands.Add(command);
        return batch;
    }

    private async Task<NpgsqlDataReader> ExecuteReaderAsync(NpgsqlBatch batch, bool settingsFirst, CancellationToken ct)
    {
        var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        try
        {
            if (settingsFirst)
            {
                // The settings' own row comes first; the statement's result follows.
                await reader.NextResultAsync(ct).ConfigureAwait(false);
            }

            ReachedServer = true;
            return reader;
        }
        catch
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
