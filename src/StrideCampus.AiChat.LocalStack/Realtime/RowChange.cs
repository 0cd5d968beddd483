namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// One decoded row change from the replication stream. Values are PostgreSQL text (null for SQL
/// NULL, <see cref="Unchanged"/> for an unchanged TOAST value), in the relation's column order.
/// </summary>
internal sealed record RowChange(RelationInfo Relation, ChangeKind Kind, DateTime CommitTimestamp, string?[]? NewValues, string?[]? OldValues, long ReceivedTimestamp)
{
    /// <summary>True when <see cref="OldValues"/> is a replica identity key tuple (other columns are absent, not null).</summary>
    public bool OldIsKeyOnly { get; init; }

    /// <summary>The WAL position of the transaction's commit (0 when unknown).</summary>
    public ulong CommitLsn { get; init; }

    /// <summary>The 32-bit id of the transaction that made the change (0 when unknown).</summary>
    public uint Xid { get; init; }

    /// <summary>Marks a value pgoutput did not send because it is TOASTed and unchanged.</summary>
    public static readonly string Unchanged = new(['\u0000', 'u', 't']);

    public string KindName => Kind switch
    {
        ChangeKind.Insert => "INSERT",
        ChangeKind.Update => "UPDATE",
        _ => "DELETE",
    };

    /// <summary>The row as it is now: the new values (old ones filling unchanged TOAST), or the old row for a delete.</summary>
    public string?[] CurrentRow
    {
        get
        {
            if (NewValues is null)
            {
                return OldValues ?? [];
            }
            var row = (string?[])NewValues.Clone();
            for (var i = 0; i < row.Length; i++)
            {
                if (ReferenceEquals(row[i], Unchanged))
                {
                    row[i] = OldValues is not null && i < OldValues.Length && !ReferenceEquals(OldValues[i], Unchanged) ? OldValues[i] : Unchanged;
                }
            }
            return row;
        }
    }
}
