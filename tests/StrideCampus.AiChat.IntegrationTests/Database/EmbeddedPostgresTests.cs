using Npgsql;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.IntegrationTests.Database;

public sealed class EmbeddedPostgresTests
{
    [Fact]
    public async Task Persistent_cluster_keeps_data_across_restarts_and_logical_replication_is_on()
    {
        var root = Path.Combine(Path.GetTempPath(), "stridecampus-persist-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            var options = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(root, "data") };
            await using (var pg = await EmbeddedPostgres.StartAsync(options))
            {
                await using var conn = new NpgsqlConnection(pg.ConnectionString);
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("show wal_level; ", conn);
                Assert.Equal("logical", (string)(await cmd.ExecuteScalarAsync())!);
                await using var ins = new NpgsqlCommand("insert into auth.users (email) values ('persist@example.test')", conn);
                await ins.ExecuteNonQueryAsync();
            }
            await using (var pg = await EmbeddedPostgres.StartAsync(options))
            {
                await using var conn = new NpgsqlConnection(pg.ConnectionString);
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("select count(*) from auth.users where email = 'persist@example.test'", conn);
                Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
            }
            Assert.True(Directory.Exists(options.DataDirectory));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Throwaway_cluster_is_removed_on_dispose_and_survives_a_restart()
    {
        string dataDir;
        await using (var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { ApplySchema = false }))
        {
            dataDir = pg.DataDirectory;
            await pg.StopAsync(immediate: true);
            Assert.False(pg.IsRunning);
            await pg.RestartAsync();
            await using var conn = new NpgsqlConnection(pg.ConnectionString);
            await conn.OpenAsync();
        }
        Assert.False(Directory.Exists(dataDir));
    }

    [Fact]
    public void Missing_binaries_give_an_error_naming_the_package_and_the_places_searched()
    {
        var ex = Assert.Throws<PostgresNotInstalledException>(() => EmbeddedPostgres.FindBinDirectory("/nonexistent/bin", searchDefaults: false));
        Assert.Contains("apt-get install postgresql", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/bin", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Installed_binaries_are_found()
    {
        var dir = EmbeddedPostgres.FindBinDirectory(null);
        Assert.True(File.Exists(Path.Combine(dir, "initdb")));
    }
}

public sealed class OrphanClusterTests
{
    [Fact]
    public async Task A_cluster_whose_owner_process_died_is_stopped_and_removed_by_the_next_start()
    {
        var orphan = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { ApplySchema = false });
        var orphanRoot = Path.GetDirectoryName(orphan.DataDirectory)!;
        // Pretend the owner was a process that has exited.
        using (var dead = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            await dead.WaitForExitAsync();
            await File.WriteAllTextAsync(Path.Combine(orphanRoot, "owner"), $"{dead.Id} 0");
        }
        var connectionString = orphan.ConnectionString;

        await using (var next = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { ApplySchema = false }))
        {
            Assert.False(Directory.Exists(orphanRoot));
            Assert.True(Directory.Exists(next.DataDirectory), "a live owner's cluster is kept");
        }
        await using (var conn = new NpgsqlConnection(connectionString + ";Timeout=2;Pooling=false"))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => conn.OpenAsync());
        }
        await orphan.DisposeAsync(); // already gone: disposal must not throw
    }
}
