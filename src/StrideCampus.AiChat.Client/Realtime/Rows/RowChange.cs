using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime.Rows;

/// <summary>
/// A postgres_changes event as handed to the SDK's own consumers: its header and its row images read in place. A ref
/// struct, so it (and its rows) cannot outlive the callback; whatever must be kept is decoded into the consumer's
/// own types inside it.
/// </summary>
internal readonly ref struct RowChange
{
    private readonly PostgresChangeFrame _frame;

    internal RowChange(PostgresChangeFrame frame) => _frame = frame;

    /// <summary>Insert, update or delete.</summary>
    public PostgresChangeType Type => _frame.Type;

    /// <summary>The table's schema.</summary>
    public string Schema => _frame.Schema;

    /// <summary>The table.</summary>
    public string Table => _frame.Table;

    /// <summary>When the transaction committed.</summary>
    public DateTimeOffset CommitTimestamp => _frame.CommitTimestamp;

    /// <summary>The server's errors (a record over its size limit lacks its long values).</summary>
    public IReadOnlyList<string> Errors => _frame.Errors;

    /// <summary>The new row (inserts and updates).</summary>
    public RowReader New => new(_frame.New);

    /// <summary>The old row (deletes: the key; updates: what the replica identity keeps).</summary>
    public RowReader Old => new(_frame.Old);

    /// <summary>A self-contained event read the way a received frame is (tests, and changes that did not come in a frame).</summary>
    public static RowChange From(PostgresChangeEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var frame = new PostgresChangeFrame { Type = e.Type, Schema = e.Schema, Table = e.Table, CommitTimestamp = e.CommitTimestamp, Errors = e.Errors };
        Locate(e.New, frame.New);
        Locate(e.Old, frame.Old);
        return new RowChange(frame);

        static void Locate(JsonElement? image, RowColumns row)
        {
            if (image is { ValueKind: not JsonValueKind.Undefined } value)
            {
                PostgresChangeParser.ReadRowImage(Encoding.UTF8.GetBytes(value.GetRawText()), row);
            }
        }
    }
}
