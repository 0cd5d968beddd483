using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Protocol;

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
    IReadOnlyList<string> Errors)
{
    // Decoded events keep their row images as received and parse them only when New/Old is read.
    private readonly JsonElement? _new = New;
    private readonly JsonElement? _old = Old;

    internal PostgresChangeEvent(
        PostgresChangeType type, string schema, string table, DateTimeOffset commitTimestamp, RowImage? newRow, RowImage? oldRow, IReadOnlyList<string> errors)
        : this(type, schema, table, commitTimestamp, (JsonElement?)null, null, errors)
    {
        NewRow = newRow;
        OldRow = oldRow;
    }

    /// <summary>The new row (insert and update), or <see langword="null"/>.</summary>
    public JsonElement? New
    {
        get => NewRow is { } row ? row.Element : _new;
        init
        {
            _new = value;
            NewRow = null;
        }
    }

    /// <summary>The old row (update and delete; with RLS a delete carries the primary key only), or <see langword="null"/>.</summary>
    public JsonElement? Old
    {
        get => OldRow is { } row ? row.Element : _old;
        init
        {
            _old = value;
            OldRow = null;
        }
    }

    /// <summary>The new row as received, when the event was decoded from a frame (the SDK reads it without a document).</summary>
    internal RowImage? NewRow { get; private init; }

    /// <summary>The old row as received, when the event was decoded from a frame.</summary>
    internal RowImage? OldRow { get; private init; }
}
