using Npgsql;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>One real PostgreSQL cluster for the whole test run, with the database/ scripts applied.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private EmbeddedPostgres? _postgres;

    public EmbeddedPostgres Postgres => _postgres ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _postgres = await EmbeddedPostgres.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    /// <summary>Creates a user in auth.users (as the superuser) and returns its id.</summary>
    public async Task<Guid> CreateUserAsync(string? email = null)
    {
        await using var conn = new NpgsqlConnection(Postgres.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "insert into auth.users (email, encrypted_password, email_confirmed_at) values ($1, crypt('pw-' || $1, gen_salt('bf', 4)), now()) returning id", conn);
        cmd.Parameters.AddWithValue(email ?? $"user-{Guid.NewGuid():N}@example.test");
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Opens a connection as the <c>authenticator</c> role and starts a transaction that runs as
    /// <paramref name="role"/> with the given user's JWT claims, exactly as the REST gateway does.
    /// </summary>
    public async Task<DbSession> AsAsync(string role, Guid? userId)
    {
        var conn = new NpgsqlConnection(Postgres.AuthenticatorConnectionString);
        await conn.OpenAsync();
        var tx = await conn.BeginTransactionAsync();
        var claims = userId is { } id
            ? $$"""{"sub":"{{id}}","role":"{{role}}","aud":"authenticated"}"""
            : $$"""{"role":"{{role}}"}""";
        await using (var cmd = new NpgsqlCommand("select set_config('request.jwt.claims', $1, true), set_config('role', $2, true)", conn, tx))
        {
            cmd.Parameters.AddWithValue(claims);
            cmd.Parameters.AddWithValue(role);
            await cmd.ExecuteNonQueryAsync();
        }
        return new DbSession(conn, tx);
    }
}

/// <summary>A connection and transaction running as one API role; rolled back on dispose unless committed.</summary>
public sealed class DbSession(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    public NpgsqlConnection Connection { get; } = connection;
    public NpgsqlTransaction Transaction { get; } = transaction;

    public NpgsqlCommand Command(string sql, params object?[] args)
    {
        var cmd = new NpgsqlCommand(sql, Connection, Transaction);
        foreach (var a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a ?? DBNull.Value });
        }
        return cmd;
    }

    public async Task<long> CountAsync(string sql, params object?[] args)
    {
        await using var cmd = Command(sql, args);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<int> ExecuteAsync(string sql, params object?[] args)
    {
        await using var cmd = Command(sql, args);
        return await cmd.ExecuteNonQueryAsync();
    }

    public Task CommitAsync() => Transaction.CommitAsync();

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
