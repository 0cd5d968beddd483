namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>A foreign key: <see cref="Table"/>(<see cref="Columns"/>) references <see cref="RefTable"/>(<see cref="RefColumns"/>).</summary>
internal sealed record DbRelationship(string Constraint, string Table, IReadOnlyList<string> Columns, string RefTable, IReadOnlyList<string> RefColumns);
