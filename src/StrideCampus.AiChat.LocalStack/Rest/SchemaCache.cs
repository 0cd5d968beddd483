using Npgsql;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>
/// Reads tables, columns, keys, foreign keys and functions of the exposed schema from
/// pg_catalog, and keeps them until something asked for is missing (then reads again, at most
/// once a second), so a table created after start-up is found.
/// </summary>
internal sealed class SchemaCache(NpgsqlDataSource db, string schema = "public")
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private SchemaSnapshot? _snapshot;
    private DateTimeOffset _loadedAt;

    public async Task<SchemaSnapshot> GetAsync(CancellationToken cancellationToken) =>
        _snapshot ?? await ReloadAsync(force: true, cancellationToken).ConfigureAwait(false);

    /// <summary>Reads the catalog again unless it was read within the last second.</summary>
    public async Task<SchemaSnapshot> ReloadAsync(bool force, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_snapshot is { } current && !force && DateTimeOffset.UtcNow - _loadedAt < TimeSpan.FromSeconds(1))
            {
                return current;
            }
            try
            {
                _snapshot = await LoadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException e) when (e is not PostgresException)
            {
                // The database restarted: the pooled catalog connections are broken. Drop them and read once more.
                db.Clear();
                _snapshot = await LoadAsync(cancellationToken).ConfigureAwait(false);
            }
            _loadedAt = DateTimeOffset.UtcNow;
            return _snapshot;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<SchemaSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var columns = new Dictionary<string, List<DbColumn>>(StringComparer.Ordinal);
        var columnsByOid = new Dictionary<uint, List<DbColumn>>();
        await using (var cmd = new NpgsqlCommand("""
            select c.oid, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   a.atthasdef or a.attidentity <> '' or a.attgenerated <> ''
              from pg_class c
              join pg_namespace n on n.oid = c.relnamespace
              join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
             where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f')
             order by c.relname, a.attnum
            """, conn))
        {
            cmd.Parameters.AddWithValue(schema);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var oid = reader.GetFieldValue<uint>(0);
                var table = reader.GetString(1);
                var column = new DbColumn(reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetBoolean(5));
                if (!columns.TryGetValue(table, out var list))
                {
                    columns[table] = list = [];
                    columnsByOid[oid] = list;
                }
                list.Add(column);
            }
        }

        var keys = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("""
            select c.relname, a.attname
              from pg_index i
              join pg_class c on c.oid = i.indrelid
              join pg_namespace n on n.oid = c.relnamespace
              join pg_attribute a on a.attrelid = c.oid and a.attnum = any (i.indkey)
             where i.indisprimary and n.nspname = $1
             order by c.relname, array_position(i.indkey::int2[], a.attnum)
            """, conn))
        {
            cmd.Parameters.AddWithValue(schema);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var table = reader.GetString(0);
                if (!keys.TryGetValue(table, out var list))
                {
                    keys[table] = list = [];
                }
                list.Add(reader.GetString(1));
            }
        }

        var relationships = new List<DbRelationship>();
        await using (var cmd = new NpgsqlCommand("""
            select con.conname, c.relname, rc.relname,
                   array(select a.attname::text from unnest(con.conkey) with ordinality k(num, ord)
                           join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num order by k.ord),
                   array(select a.attname::text from unnest(con.confkey) with ordinality k(num, ord)
                           join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num order by k.ord)
              from pg_constraint con
              join pg_class c on c.oid = con.conrelid
              join pg_namespace n on n.oid = c.relnamespace
              join pg_class rc on rc.oid = con.confrelid
              join pg_namespace rn on rn.oid = rc.relnamespace
             where con.contype = 'f' and n.nspname = $1 and rn.nspname = $1
             order by con.conname
            """, conn))
        {
            cmd.Parameters.AddWithValue(schema);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                relationships.Add(new DbRelationship(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(3), reader.GetString(2), reader.GetFieldValue<string[]>(4)));
            }
        }

        var functions = new Dictionary<string, List<DbFunction>>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("""
            select p.proname, p.proretset, p.prorettype = 'void'::regtype, format_type(p.prorettype, null), t.typrelid,
                   coalesce(p.proargnames, '{}'::text[]),
                   coalesce(p.proargmodes::text[], array_fill('i'::text, array[p.pronargs::int])),
                   array(select format_type(x, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality u(x, ord) order by ord),
                   p.pronargdefaults
              from pg_proc p
              join pg_namespace n on n.oid = p.pronamespace
              join pg_type t on t.oid = p.prorettype
             where n.nspname = $1 and p.prokind = 'f'
            """, conn))
        {
            cmd.Parameters.AddWithValue(schema);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                var retSet = reader.GetBoolean(1);
                var isVoid = reader.GetBoolean(2);
                var retType = reader.GetString(3);
                var typRelId = reader.GetFieldValue<uint>(4);
                var argNames = reader.GetFieldValue<string[]>(5);
                var argModes = reader.GetFieldValue<string[]>(6);
                var argTypes = reader.GetFieldValue<string[]>(7);
                var defaults = reader.GetInt16(8);
                var inArgs = new List<DbColumn>();
                var outArgs = new List<DbColumn>();
                for (var i = 0; i < argTypes.Length; i++)
                {
                    var mode = i < argModes.Length ? argModes[i] : "i";
                    var argName = i < argNames.Length ? argNames[i] : "";
                    var column = new DbColumn(argName, argTypes[i], false, false);
                    if (mode is "i" or "b" or "v")
                    {
                        inArgs.Add(column);
                    }
                    if (mode is "o" or "b" or "t")
                    {
                        outArgs.Add(column);
                    }
                }
                if (inArgs.Any(a => a.Name.Length == 0))
                {
                    continue; // unnamed arguments cannot be called with named JSON args
                }
                IReadOnlyList<DbColumn>? returnColumns = null;
                if (typRelId != 0 && columnsByOid.TryGetValue(typRelId, out var relColumns))
                {
                    returnColumns = relColumns;
                }
                else if (retType == "record" && outArgs.Count > 0)
                {
                    returnColumns = outArgs;
                }
                if (!functions.TryGetValue(name, out var overloads))
                {
                    functions[name] = overloads = [];
                }
                overloads.Add(new DbFunction(schema, name, inArgs, defaults, retSet, isVoid, returnColumns, retType));
            }
        }

        var tables = columns.ToDictionary(
            kv => kv.Key,
            kv => new DbTable(schema, kv.Key, kv.Value, keys.TryGetValue(kv.Key, out var pk) ? pk : []),
            StringComparer.Ordinal);
        return new SchemaSnapshot(
            schema,
            tables,
            relationships,
            functions.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<DbFunction>)kv.Value, StringComparer.Ordinal));
    }
}
