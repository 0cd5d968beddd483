using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// The replication floor: autocommit INSERTs into <c>ai_chat_messages</c> over a plain Npgsql connection, paced, each
/// timed from the moment it is issued to its arrival at a bare pgoutput consumer (write + commit + WAL decode).
/// </summary>
internal static class SqlInsertProbe
{
    public static async Task<double[]> MeasureAsync(
        BenchStack stack, Guid userId, Guid sessionId, ConcurrentDictionary<Guid, long> pgoutputArrivals, int count, double rate, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(stack.ConnectionString);
        await conn.OpenAsync(ct);
        await using var insert = new NpgsqlCommand("insert into public.ai_chat_messages (id, session_id, user_id, content) values ($1, $2, $3, 'sql probe')", conn);
        var id = insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        insert.Parameters.AddWithValue(sessionId);
        insert.Parameters.AddWithValue(userId);
        await insert.PrepareAsync(ct);
        var ids = new Guid[count];
        var starts = new long[count];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await Pace.UntilSlotAsync(clock, i, rate, ct);

            ids[i] = Guid.NewGuid();
            id.Value = ids[i];
            starts[i] = Stopwatch.GetTimestamp();
            await insert.ExecuteNonQueryAsync(ct);
        }

        await Poll.UntilAsync(() => ids.All(pgoutputArrivals.ContainsKey), TimeSpan.FromSeconds(5), ct);

        return [.. ids.Select((x, i) => pgoutputArrivals.TryGetValue(x, out var at) ? Stopwatch.GetElapsedTime(starts[i], at).TotalMilliseconds : double.NaN)
            .Where(x => !double.IsNaN(x))];
    }
}
