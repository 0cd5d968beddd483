namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>A replicated column: its name, type oid, <c>pg_type.typname</c> and SQL type (format_type).</summary>
internal sealed record RelationColumn(string Name, uint TypeOid, string TypeName, string SqlType);
