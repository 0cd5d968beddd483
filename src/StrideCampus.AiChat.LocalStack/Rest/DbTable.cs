namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>A table or view of the exposed schema, as the catalog describes it.</summary>
internal sealed class DbTable(string schema, string name, IReadOnlyList<DbColumn> columns, IReadOnlyList<string> primaryKey)
{
    private readonly Dictionary<string, DbColumn> _byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public string Schema { get; } = schema;

    public string Name { get; } = name;

    public IReadOnlyList<DbColumn> Columns { get; } = columns;

    public IReadOnlyList<string> PrimaryKey { get; } = primaryKey;

    /// <summary>The quoted, schema-qualified name.</summary>
    public string QualifiedName => SqlBuilder.Quote(Schema) + "." + SqlBuilder.Quote(Name);

    public DbColumn? Find(string name) => _byName.GetValueOrDefault(name);
}
