using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>A database change delivered by Supabase Realtime.</summary>
/// <param name="Type">Insert, update or delete.</param>
/// <param name="Schema">The schema of the table.</param>
/// <param name="Table">The table.</param>
/// <param name="CommitTimestamp">When the transaction committed.</param>
/// <param name="New">The new row (insert and update), or <see langword="null"/>.</param>
/// <param name="Old">The old row (update and delete; with RLS a delete carries the primary key only), or <see langword="null"/>.</param>
/// <param name="Errors">Errors the server attached (for example a row too large to send).</param>
public sealed record PostgresChangeEvent(
    PostgresChangeType Type,
    string Schema,
    string Table,
    DateTimeOffset CommitTimestamp,
    JsonElement? New,
    JsonElement? Old,
    IReadOnlyList<string> Errors);
