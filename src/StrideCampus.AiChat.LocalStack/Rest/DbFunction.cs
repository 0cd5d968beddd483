namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>A function of the exposed schema callable through <c>/rpc</c>.</summary>
internal sealed record DbFunction(
    string Schema,
    string Name,
    IReadOnlyList<DbColumn> InArgs,
    int DefaultCount,
    bool ReturnsSet,
    bool ReturnsVoid,
    IReadOnlyList<DbColumn>? ReturnColumns,
    string ReturnType)
{
    /// <summary>Arguments that have no default and must be given.</summary>
    public IEnumerable<DbColumn> RequiredArgs => InArgs.Take(InArgs.Count - DefaultCount);

    /// <summary>The result as a relation (for select, filters, order) when it returns rows of a composite type.</summary>
    public DbTable? AsRelation => ReturnColumns is null ? null : new DbTable(Schema, Name, ReturnColumns, []);
}
