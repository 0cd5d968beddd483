namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>A postgres_changes binding: which changes of which table to receive.</summary>
/// <param name="Event">The kind of change.</param>
/// <param name="Schema">The schema, usually <c>public</c>.</param>
/// <param name="Table">The table.</param>
/// <param name="Filter">An optional server-side row filter such as <c>session_id=eq.&lt;uuid&gt;</c> (operators eq, neq, lt, lte, gt, gte, in).</param>
public sealed record PostgresChangesFilter(PostgresChangeEventFilter Event, string Schema, string Table, string? Filter = null);
