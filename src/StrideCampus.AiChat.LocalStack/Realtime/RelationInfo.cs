namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// A table as the replication stream describes it (columns in tuple order), with what the
/// visibility check needs from the catalog: primary key columns and whether RLS is enabled.
/// </summary>
internal sealed class RelationInfo
{
    private readonly Dictionary<string, int> _index;

    public RelationInfo(uint relationId, string schema, string table, IReadOnlyList<RelationColumn> columns, IReadOnlyList<int> primaryKey, bool rlsEnabled)
    {
        RelationId = relationId;
        Schema = schema;
        Table = table;
        Columns = columns;
        PrimaryKey = primaryKey;
        RlsEnabled = rlsEnabled;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            _index[columns[i].Name] = i;
        }
        if (primaryKey.Count > 0)
        {
            var conditions = string.Join(" and ", primaryKey.Select((c, i) => $"{Quote(columns[c].Name)} = ${i + 1}::{columns[c].SqlType}"));
            VisibilitySql = $"select exists(select 1 from {Quote(schema)}.{Quote(table)} where {conditions})";
        }
    }

    public uint RelationId { get; }

    public string Schema { get; }

    public string Table { get; }

    public IReadOnlyList<RelationColumn> Columns { get; }

    /// <summary>Indexes into <see cref="Columns"/> of the primary key, in key order.</summary>
    public IReadOnlyList<int> PrimaryKey { get; }

    public bool RlsEnabled { get; }

    /// <summary><c>select exists(select 1 from t where pk = $1 ...)</c>, run as the subscriber; null without a primary key.</summary>
    public string? VisibilitySql { get; }

    /// <summary>The table's SELECT policies applied to a row passed as parameters (all columns); null without RLS.</summary>
    public string? RowVisibilitySql { get; init; }

    public int IndexOf(string column) => _index.TryGetValue(column, out var i) ? i : -1;

    public bool IsPrimaryKey(int column) => PrimaryKey.Contains(column);

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
