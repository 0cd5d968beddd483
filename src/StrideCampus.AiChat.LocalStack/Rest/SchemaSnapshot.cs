namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>What the catalog said about the exposed schema when it was last read.</summary>
internal sealed class SchemaSnapshot(
    string schema,
    IReadOnlyDictionary<string, DbTable> tables,
    IReadOnlyList<DbRelationship> relationships,
    IReadOnlyDictionary<string, IReadOnlyList<DbFunction>> functions)
{
    public string Schema { get; } = schema;

    public IReadOnlyDictionary<string, DbTable> Tables { get; } = tables;

    public IReadOnlyList<DbRelationship> Relationships { get; } = relationships;

    public IReadOnlyDictionary<string, IReadOnlyList<DbFunction>> Functions { get; } = functions;

    public DbTable? FindTable(string name) => Tables.GetValueOrDefault(name);
}
