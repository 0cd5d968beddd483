namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>A row change as a bare pgoutput consumer received it, with the receive timestamp (Stopwatch ticks).</summary>
internal sealed record ReplicatedRow(ReplicatedRowKind Kind, string Table, IReadOnlyList<string?> Columns, long ReceivedAt);

internal enum ReplicatedRowKind
{
    Insert,
    Update,
}
