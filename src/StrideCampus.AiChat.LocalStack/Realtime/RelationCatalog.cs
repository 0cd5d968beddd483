using Npgsql;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Catalog look-ups (as the superuser): column types, primary keys and RLS of replicated tables.</summary>
internal sealed class RelationCatalog(NpgsqlDataSource dataSource)
{
    /// <summary>Describes a relation from its replication columns (name, type oid) in tuple order.</summary>
    public async Task<RelationInfo> DescribeAsync(uint relationId, string schema, string table, IReadOnlyList<(string Name, uint TypeOid)> columns, CancellationToken cancellationToken)
    {
        var types = new Dictionary<string, (string TypeName, string SqlType)>(StringComparer.Ordinal);
        var primaryKey = new List<string>();
        var rls = false;
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand(
            """
            select a.attname::text, t.typname::text, format_type(a.atttypid, a.atttypmod)
              from pg_attribute a join pg_type t on t.oid = a.atttypid
             where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
            """, conn))
        {
            cmd.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Oid, relationId);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                types[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2));
            }
        }
        await using (var cmd = new NpgsqlCommand(
            """
            select c.relrowsecurity,
                   coalesce((select array_agg(a.attname::text order by k.ord)
                               from pg_index i
                               cross join lateral unnest(i.indkey) with ordinality k(attnum, ord)
                               join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                              where i.indrelid = c.oid and i.indisprimary), '{}')
              from pg_class c where c.oid = $1
            """, conn))
        {
            cmd.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Oid, relationId);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rls = reader.GetBoolean(0);
                primaryKey.AddRange(reader.GetFieldValue<string[]>(1));
            }
        }
        var described = columns.Select(c => types.TryGetValue(c.Name, out var t)
            ? new RelationColumn(c.Name, c.TypeOid, t.TypeName, t.SqlType)
            : new RelationColumn(c.Name, c.TypeOid, "text", "text")).ToList();
        var keyIndexes = primaryKey.Select(k => described.FindIndex(c => c.Name == k)).Where(i => i >= 0).ToList();
        if (keyIndexes.Count != primaryKey.Count)
        {
            keyIndexes.Clear();
        }
        return new RelationInfo(relationId, schema, table, described, keyIndexes, rls);
    }

    /// <summary>The columns of a table, or null when it does not exist.</summary>
    public async Task<IReadOnlyList<string>?> ColumnsAsync(string schema, string table, CancellationToken cancellationToken)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            """
            select array(select a.attname::text from pg_attribute a
                          where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum)
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = $1 and c.relname = $2
            """, conn);
        cmd.Parameters.AddWithValue(schema);
        cmd.Parameters.AddWithValue(table);
        var result = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return result as string[];
    }
}
