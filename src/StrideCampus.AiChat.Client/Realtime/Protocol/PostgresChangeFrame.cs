namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// A postgres_changes payload parsed in place: the change's header fields and its row images as
/// <see cref="RowColumns"/> that point into the frame. One instance per client, refilled for every frame on the
/// receive loop; the SDK's own consumers read rows straight from it, and <see cref="ToEvent"/> copies what a
/// public <see cref="PostgresChangeEvent"/> must keep.
/// </summary>
internal sealed class PostgresChangeFrame
{
    public PostgresChangeType Type { get; internal set; }

    public string Schema { get; internal set; } = "";

    public string Table { get; internal set; } = "";

    public DateTimeOffset CommitTimestamp { get; internal set; }

    public IReadOnlyList<string> Errors { get; internal set; } = [];

    /// <summary>The new row (<c>record</c> or <c>new</c>).</summary>
    public RowColumns New { get; } = new();

    /// <summary>The old row (<c>old_record</c> or <c>old</c>).</summary>
    public RowColumns Old { get; } = new();

    /// <summary>The change as a self-contained event (row images copied out of the frame, checked first).</summary>
    /// <exception cref="System.Text.Json.JsonException">An image the parser only delimited is malformed.</exception>
    /// <exception cref="FormatException">An image the parser only delimited is truncated.</exception>
    public PostgresChangeEvent ToEvent()
    {
        New.EnsureRead();
        Old.EnsureRead();
        return new(Type, Schema, Table, CommitTimestamp, New.ToImage(), Old.ToImage(), Errors);
    }

    internal void Reset(ReadOnlyMemory<byte> payload)
    {
        Type = default;
        Schema = "";
        Table = "";
        CommitTimestamp = default;
        Errors = [];
        New.Reset(payload);
        Old.Reset(payload);
    }
}
