using Npgsql;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Catalog look-ups (as the superuser): column types, primary keys and RLS of replicated tables.</summary>
internal sealed class RelationCatalog(NpgsqlDataSource dataSource)
{
    /// <summary>Describes a relation from its replication columns (name, type oid) in tuple order.</summary>
    public Task<RelationInfo> DescribeAsync(uint relationId, string schema, string table, IReadOnlyList<(string Name, uint TypeOid)> columns, CancellationToken cancellationToken) =>
        // Pooled connections broken by a server restart fail once: the pool is cleared and the look-up retried.
        BrokenConnectionRetry.RunAsync(dataSource, ct => DescribeOnceAsync(relationId, schema, table, columns, ct), cancellationToken);

    private async Task<RelationInfo> DescribeOnceAsync(uint relationId, string schema, string table, IReadOnlyList<(string Name, uint TypeOid)> columns, CancellationToken cancellationToken)
    {
        var types = new Dictionary<string, (string TypeName, string SqlType)>(StringComparer.Ordinal);
        var primaryKey = new List<string>();
        var rls = false;
        var force = false;
        uint owner = 0;
        var policies = new List<(bool Permissive, uint[] Roles, string? Qual)>();
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
            select c.relrowsecurity, c.relforcerowsecurity, c.relowner,
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
                force = reader.GetBoolean(1);
                owner = reader.GetFieldValue<uint>(2);
                primaryKey.AddRange(reader.GetFieldValue<string[]>(3));
            }
        }
        await using (var cmd = new NpgsqlCommand(
            "select p.polpermissive, p.polroles::oid[], pg_get_expr(p.polqual, p.polrelid) from pg_policy p where p.polrelid = $1 and p.polcmd in ('r', '*') order by p.polname", conn))
        {
            cmd.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Oid, relationId);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                policies.Add((reader.GetBoolean(0), reader.GetFieldValue<uint[]>(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
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
        return new RelationInfo(relationId, schema, table, described, keyIndexes, rls)
        {
            RowVisibilitySql = rls ? BuildRowVisibilitySql(relationId, table, described, force, owner, policies) : null,
        };
    }

    /// <summary>
    /// SQL that applies the table's SELECT policies to a row given as parameters (one per column,
    /// text cast to the column type), the way the planner adds them to a query: visible when the
    /// role bypasses RLS (superuser, BYPASSRLS, or the owner of a table without FORCE), or when
    /// any permissive policy for the role passes and every restrictive one does. The row is a
    /// VALUES list aliased with the table's name, so column references inside policy subqueries
    /// (deparsed as <c>table.column</c>) resolve to it.
    /// </summary>
    internal static string BuildRowVisibilitySql(uint relationId, string table, IReadOnlyList<RelationColumn> columns, bool force, uint owner, IReadOnlyList<(bool Permissive, uint[] Roles, string? Qual)> policies)
    {
        static string Applies(uint[] roles) => roles.Contains(0u)
            ? "true"
            : "(" + string.Join(" or ", roles.Select(r => $"pg_has_role(current_user, {r}::oid, 'USAGE')")) + ")";
        var permissive = policies.Where(p => p.Permissive && p.Qual is not null).Select(p => $"({Applies(p.Roles)} and ({p.Qual}))").ToList();
        var restrictive = policies.Where(p => !p.Permissive).Select(p => $"(not {Applies(p.Roles)} or coalesce(({p.Qual ?? "false"}), false))").ToList();
        var policyCheck = permissive.Count == 0 ? "false" : "(" + string.Join(" or ", permissive) + ")";
        if (restrictive.Count > 0)
        {
            policyCheck += " and " + string.Join(" and ", restrictive);
        }
        var bypass = "(select r.rolsuper or r.rolbypassrls from pg_roles r where r.rolname = current_user)";
        if (!force)
        {
            bypass += $" or pg_has_role(current_user, {owner}::oid, 'USAGE')";
        }
        var values = string.Join(", ", columns.Select((c, i) => $"${i + 1}::{c.SqlType}"));
        var names = string.Join(", ", columns.Select(c => RelationInfo.Quote(c.Name)));
        return $"select has_table_privilege({relationId}::oid, 'SELECT') and exists(select 1 from (values ({values})) as {RelationInfo.Quote(table)}({names}) where {bypass} or ({policyCheck}))";
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
