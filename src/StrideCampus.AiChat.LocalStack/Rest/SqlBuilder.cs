using System.Text;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>
/// Builds SQL for one PostgREST request. Identifiers come only from the catalog snapshot (checked,
/// then quoted); every value from the request becomes a positional parameter.
/// </summary>
/// <param name="schema">The catalog snapshot.</param>
/// <param name="nodes">Filters, order and paging per resource path ("" is the root).</param>
/// <param name="maxEmbedRows">
/// The most rows a to-many embed returns (0: no cap). PostgREST applies <c>db-max-rows</c> to every level of a read,
/// embeds included (PostgREST/postgrest <c>test/spec/Feature/Query/QueryLimitedSpec.hs</c>, "works on all levels").
/// </param>
internal sealed class SqlBuilder(SchemaSnapshot schema, IReadOnlyDictionary<string, QueryNode>? nodes = null, int maxEmbedRows = 0)
{
    private static readonly IReadOnlyDictionary<string, QueryNode> NoNodes = new Dictionary<string, QueryNode>();
    private readonly IReadOnlyDictionary<string, QueryNode> _nodes = nodes ?? NoNodes;
    private readonly HashSet<string> _usedPaths = new(StringComparer.Ordinal) { "" };
    private int _aliases;

    public List<object?> Parameters { get; } = [];

    /// <summary>Quotes an identifier (doubling embedded quotes).</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public string Param(object? value)
    {
        Parameters.Add(value);
        return "$" + Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public string NextAlias() => "_t" + (_aliases++).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Throws PGRST108 for filters/order/limit aimed at a resource the select does not embed.</summary>
    public void EnsureAllNodesUsed()
    {
        foreach (var path in _nodes.Keys)
        {
            if (!_usedPaths.Contains(path))
            {
                throw new PostgrestError(400, "PGRST108", $"'{path}' is not an embedded resource in this request",
                    null, $"Verify that '{path}' is included in the 'select' query parameter.");
            }
        }
    }

    private QueryNode? Node(string path, string? altPath = null)
    {
        if (_nodes.TryGetValue(path, out var node))
        {
            _usedPaths.Add(path);
            return node;
        }
        if (altPath is not null && _nodes.TryGetValue(altPath, out node))
        {
            _usedPaths.Add(altPath);
            return node;
        }
        return null;
    }

    // ---------------------------------------------------------------- reads

    /// <summary>
    /// <c>select json_text, row_count</c> for the rows of <paramref name="source"/> (a table or a
    /// function call) shaped by <paramref name="select"/> with the root node's filters, order and paging.
    /// </summary>
    public string Read(DbTable table, string source, IReadOnlyList<SelectItem> select)
    {
        var alias = NextAlias();
        var node = Node("");
        var inner = new List<string>();
        var list = SelectList(table, alias, select, "", inner);
        var where = Where(table, alias, node?.Filters ?? [], inner);
        var sb = new StringBuilder("select coalesce(json_agg(_r), '[]'::json)::text, count(*) from (select ");
        sb.Append(list).Append(" from ").Append(source).Append(" as ").Append(alias);
        if (where.Length > 0)
        {
            sb.Append(" where ").Append(where);
        }
        sb.Append(OrderBy(table, alias, node?.Order ?? []));
        sb.Append(Paging(node));
        sb.Append(") _r");
        return sb.ToString();
    }

    /// <summary><c>select count(*)</c> of the rows the root filters match (for <c>Prefer: count=exact</c>).</summary>
    public string Count(DbTable table, string source, IReadOnlyList<SelectItem> select)
    {
        var alias = NextAlias();
        var node = Node("");
        var inner = new List<string>();
        // The select list is built only for its !inner conditions; its other parameters go unused.
        _ = SelectList(table, alias, select, "", inner);
        var where = Where(table, alias, node?.Filters ?? [], inner);
        return $"select count(*) from {source} as {alias}" + (where.Length > 0 ? " where " + where : "");
    }

    /// <summary>Wraps a data-changing statement (with <c>returning alias.*</c>) so it yields JSON like a read.</summary>
    public string Representation(DbTable table, string statementReturningRows, IReadOnlyList<SelectItem> select, string alias)
    {
        var inner = new List<string>();
        var list = SelectList(table, alias, select, "", inner);
        return $"with _m as ({statementReturningRows}) select coalesce(json_agg(_r), '[]'::json)::text, count(*) from (select {list} from _m as {alias}) _r";
    }

    public string SelectList(DbTable table, string alias, IReadOnlyList<SelectItem> items, string path, List<string> innerConditions)
    {
        var parts = new List<string>();
        foreach (var item in items)
        {
            if (item.IsStar)
            {
                parts.AddRange(table.Columns.Select(c => $"{alias}.{Quote(c.Name)}"));
                continue;
            }
            if (!item.IsEmbed)
            {
                var (expr, _) = ColumnExpression(table, alias, item.Name);
                if (item.Cast is not null)
                {
                    expr += "::" + item.Cast; // from a fixed allow-list in QueryParser
                }
                parts.Add(expr + " as " + Quote(item.OutputName));
                continue;
            }
            parts.Add(Embed(table, alias, item, path, innerConditions));
        }
        return parts.Count == 0 ? "null::int as \"_\"" : string.Join(", ", parts);
    }

    private string Embed(DbTable parent, string parentAlias, SelectItem item, string path, List<string> innerConditions)
    {
        var target = ResolveEmbed(parent, item);
        var childPath = path.Length == 0 ? item.OutputName : path + "." + item.OutputName;
        var altPath = path.Length == 0 ? item.Name : path + "." + item.Name;
        var node = Node(childPath, altPath);
        var alias = NextAlias();
        var join = JoinCondition(target, parentAlias, alias);
        var nestedInner = new List<string>();
        if (item.Children is [{ Name: "count", IsEmbed: false, Cast: null } countItem] && target.Table.Find("count") is null)
        {
            // PostgREST's aggregate embedding: ai_chat_messages(count) → [{"count": n}].
            var countWhere = Where(target.Table, alias, node?.Filters ?? [], []);
            var countSql = $"(select count(*) from {target.Table.QualifiedName} as {alias} where {join}" + (countWhere.Length > 0 ? " and " + countWhere : "") + ")";
            var key = Param(countItem.OutputName) + "::text";
            return target.ToMany
                ? $"json_build_array(json_build_object({key}, {countSql})) as {Quote(item.OutputName)}"
                : $"json_build_object({key}, {countSql}) as {Quote(item.OutputName)}";
        }
        var list = SelectList(target.Table, alias, item.Children!, childPath, nestedInner);
        var where = Where(target.Table, alias, node?.Filters ?? [], nestedInner);
        var condition = where.Length > 0 ? join + " and " + where : join;
        if (item.Inner)
        {
            // Build the filter again for the exists(): the parameters are separate copies.
            var existsAlias = NextAlias();
            var existsJoin = JoinCondition(target, parentAlias, existsAlias);
            var existsWhere = Where(target.Table, existsAlias, node?.Filters ?? [], []);
            innerConditions.Add($"exists (select 1 from {target.Table.QualifiedName} as {existsAlias} where {existsJoin}" + (existsWhere.Length > 0 ? " and " + existsWhere : "") + ")");
        }
        if (target.ToMany)
        {
            return $"coalesce((select json_agg(_e) from (select {list} from {target.Table.QualifiedName} as {alias} where {condition}"
                + OrderBy(target.Table, alias, node?.Order ?? []) + Paging(node, maxEmbedRows)
                + $") _e), '[]'::json) as {Quote(item.OutputName)}";
        }
        return $"(select row_to_json(_e) from (select {list} from {target.Table.QualifiedName} as {alias} where {condition} limit 1) _e) as {Quote(item.OutputName)}";
    }

    private static string JoinCondition(EmbedTarget target, string parentAlias, string alias)
    {
        var rel = target.Relationship;
        var terms = new List<string>();
        for (var i = 0; i < rel.Columns.Count; i++)
        {
            terms.Add(target.ToMany
                ? $"{alias}.{Quote(rel.Columns[i])} = {parentAlias}.{Quote(rel.RefColumns[i])}"
                : $"{alias}.{Quote(rel.RefColumns[i])} = {parentAlias}.{Quote(rel.Columns[i])}");
        }
        return string.Join(" and ", terms);
    }

    public EmbedTarget ResolveEmbed(DbTable parent, SelectItem item)
    {
        var table = schema.FindTable(item.Name);
        if (table is null)
        {
            throw NoRelationship(parent, item.Name);
        }
        var candidates = new List<EmbedTarget>();
        foreach (var rel in schema.Relationships)
        {
            if (rel.Table == table.Name && rel.RefTable == parent.Name)
            {
                candidates.Add(new EmbedTarget(table, rel, ToMany: true));
            }
            if (rel.Table == parent.Name && rel.RefTable == table.Name && !(rel.Table == rel.RefTable))
            {
                candidates.Add(new EmbedTarget(table, rel, ToMany: false));
            }
        }
        if (item.Hint is { } hint)
        {
            candidates = candidates.Where(c => c.Relationship.Constraint == hint || (c.Relationship.Columns.Count == 1 && c.Relationship.Columns[0] == hint)).ToList();
        }
        return candidates.Count switch
        {
            0 => throw NoRelationship(parent, item.Name),
            1 => candidates[0],
            _ => throw new PostgrestError(300, "PGRST201",
                $"Could not embed because more than one relationship was found for '{parent.Name}' and '{item.Name}'",
                string.Join(", ", candidates.Select(c => c.Relationship.Constraint)),
                $"Try changing '{item.Name}' to one of the following: {string.Join(", ", candidates.Select(c => item.Name + "!" + c.Relationship.Constraint))}."),
        };
    }

    private static PostgrestError NoRelationship(DbTable parent, string name) =>
        new(400, "PGRST200", $"Could not find a relationship between '{parent.Name}' and '{name}' in the schema cache",
            $"Searched for a foreign key relationship between '{parent.Name}' and '{name}' in the schema '{parent.Schema}', but no matches were found.", null);

    /// <summary>
    /// A column reference, optionally with a JSON path (<c>metadata-&gt;a-&gt;&gt;b</c>): the column is
    /// checked against the catalog, every key becomes a parameter. Returns the SQL and its type.
    /// </summary>
    public (string Sql, string Type) ColumnExpression(DbTable table, string alias, string reference)
    {
        var (name, path) = QueryParser.ParseJsonPath(reference);
        var column = Column(table, name);
        var sql = $"{alias}.{Quote(column.Name)}";
        if (path.Count == 0)
        {
            return (sql, column.Type);
        }
        if (column.Type is not ("json" or "jsonb"))
        {
            throw PostgrestError.Parse($"failed to parse column ({reference})", $"column {table.Name}.{name} is {column.Type}, not json or jsonb");
        }
        var type = column.Type;
        foreach (var (key, asText) in path)
        {
            object keyValue = int.TryParse(key, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var index) ? index : key;
            sql = $"({sql}{(asText ? "->>" : "->")}{Param(keyValue)})";
            type = asText ? "text" : column.Type;
        }
        return (sql, type);
    }

    public static DbColumn Column(DbTable table, string name) =>
        table.Find(name) ?? throw new PostgrestError(400, "42703", $"column {table.Name}.{name} does not exist", null, null);

    // ---------------------------------------------------------------- conditions, order, paging

    public string Where(DbTable table, string alias, IEnumerable<Condition> conditions, IEnumerable<string> extra)
    {
        var parts = conditions.Select(c => ConditionSql(table, alias, c)).Concat(extra).ToList();
        return string.Join(" and ", parts);
    }

    private string ConditionSql(DbTable table, string alias, Condition condition)
    {
        string sql;
        switch (condition)
        {
            case LogicCondition logic:
                sql = "(" + string.Join(logic.IsOr ? " or " : " and ", logic.Children.Select(c => ConditionSql(table, alias, c))) + ")";
                break;
            case FilterCondition filter:
                sql = FilterSql(table, alias, filter);
                break;
            default:
                throw new InvalidOperationException("unknown condition");
        }
        return condition.Negated ? "not " + sql : sql;
    }

    private string FilterSql(DbTable table, string alias, FilterCondition f)
    {
        var (col, type) = ColumnExpression(table, alias, f.Column);
        string Typed(string value) => $"cast({Param(value)} as {type})";
        return f.Operator switch
        {
            "eq" => $"({col} = {Typed(f.Value)})",
            "neq" => $"({col} <> {Typed(f.Value)})",
            "gt" => $"({col} > {Typed(f.Value)})",
            "gte" => $"({col} >= {Typed(f.Value)})",
            "lt" => $"({col} < {Typed(f.Value)})",
            "lte" => $"({col} <= {Typed(f.Value)})",
            "isdistinct" => $"({col} is distinct from {Typed(f.Value)})",
            "like" => $"({col}::text like {Param(f.Value.Replace('*', '%'))})",
            "ilike" => $"({col}::text ilike {Param(f.Value.Replace('*', '%'))})",
            "match" => $"({col}::text ~ {Param(f.Value)})",
            "imatch" => $"({col}::text ~* {Param(f.Value)})",
            "is" => f.Value switch
            {
                "null" => $"({col} is null)",
                "not_null" => $"({col} is not null)",
                "true" => $"({col} is true)",
                "false" => $"({col} is false)",
                _ => $"({col} is unknown)",
            },
            "in" => f.Values!.Count == 0 ? "false" : $"({col} in ({string.Join(", ", f.Values!.Select(Typed))}))",
            _ => throw PostgrestError.Parse($"failed to parse filter ({f.Operator})", "unknown operator"),
        };
    }

    public string OrderBy(DbTable table, string alias, IReadOnlyList<OrderTerm> order)
    {
        if (order.Count == 0)
        {
            return "";
        }
        return " order by " + string.Join(", ", order.Select(o =>
            ColumnExpression(table, alias, o.Column).Sql + (o.Descending ? " desc" : " asc")
            + (o.NullsFirst switch { true => " nulls first", false => " nulls last", null => "" })));
    }

    private string Paging(QueryNode? node, int maxRows = 0)
    {
        var sb = new StringBuilder();
        var limit = node?.Limit;
        if (maxRows > 0)
        {
            limit = limit is { } l ? Math.Min(l, maxRows) : maxRows;
        }
        if (limit is { } rows)
        {
            sb.Append(" limit ").Append(Param(rows));
        }
        if (node?.Offset is { } offset && offset > 0)
        {
            sb.Append(" offset ").Append(Param(offset));
        }
        return sb.ToString();
    }

    // ---------------------------------------------------------------- writes

    /// <summary>
    /// <c>insert into t as alias (cols) select cols from json_populate_recordset(null::t, $n::json)</c>
    /// with an optional <c>on conflict</c>.
    /// </summary>
    public string Insert(DbTable table, string alias, IReadOnlyList<string> columns, string jsonArray, IReadOnlyList<string>? conflictColumns, bool ignoreDuplicates, bool returning)
    {
        var cols = string.Join(", ", columns.Select(c => Quote(Column(table, c).Name)));
        var sb = new StringBuilder($"insert into {table.QualifiedName} as {alias} ");
        if (columns.Count == 0)
        {
            // An empty object: every column takes its default.
            sb.Append("default values");
        }
        else
        {
            sb.Append($"({cols}) select {cols} from json_populate_recordset(null::{table.QualifiedName}, {Param(jsonArray)}::json) _j");
        }
        if (conflictColumns is not null)
        {
            sb.Append(" on conflict (").Append(string.Join(", ", conflictColumns.Select(c => Quote(Column(table, c).Name)))).Append(')');
            var updatable = columns.Where(c => !conflictColumns.Contains(c, StringComparer.Ordinal)).ToList();
            if (ignoreDuplicates || updatable.Count == 0)
            {
                sb.Append(" do nothing");
            }
            else
            {
                sb.Append(" do update set ").Append(string.Join(", ", updatable.Select(c => $"{Quote(c)} = excluded.{Quote(c)}")));
            }
        }
        if (returning)
        {
            sb.Append(" returning ").Append(alias).Append(".*");
        }
        return sb.ToString();
    }

    /// <summary><c>update t as alias set c = _j.c ... from json_populate_record(null::t, $n::json) _j where ...</c>.</summary>
    public string Update(DbTable table, string alias, IReadOnlyList<string> columns, string jsonObject, IReadOnlyList<Condition> filters, bool returning)
    {
        var set = string.Join(", ", columns.Select(c => $"{Quote(Column(table, c).Name)} = _j.{Quote(c)}"));
        var sb = new StringBuilder($"update {table.QualifiedName} as {alias} set {set} from json_populate_record(null::{table.QualifiedName}, {Param(jsonObject)}::json) _j");
        var where = Where(table, alias, filters, []);
        if (where.Length > 0)
        {
            sb.Append(" where ").Append(where);
        }
        if (returning)
        {
            sb.Append(" returning ").Append(alias).Append(".*");
        }
        return sb.ToString();
    }

    public string Delete(DbTable table, string alias, IReadOnlyList<Condition> filters, bool returning)
    {
        var sb = new StringBuilder($"delete from {table.QualifiedName} as {alias}");
        var where = Where(table, alias, filters, []);
        if (where.Length > 0)
        {
            sb.Append(" where ").Append(where);
        }
        if (returning)
        {
            sb.Append(" returning ").Append(alias).Append(".*");
        }
        return sb.ToString();
    }

    /// <summary><c>schema.fn(arg => cast($n as type), ...)</c>; values are JSON scalars as text, objects/arrays as JSON text.</summary>
    public string Call(DbFunction function, IReadOnlyList<(DbColumn Arg, string? Value)> args) =>
        $"{Quote(function.Schema)}.{Quote(function.Name)}(" +
        string.Join(", ", args.Select(a => $"{Quote(a.Arg.Name)} => cast({Param(a.Value)} as {a.Arg.Type})")) + ")";
}
