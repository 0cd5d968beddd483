using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime.Rows;

/// <summary>
/// One column of a row as it lies in the received frame (nothing copied). A ref struct: it cannot outlive the
/// callback it was handed to, so no view of the reused receive buffer leaves Realtime.
/// </summary>
internal readonly ref struct RowField
{
    private readonly RowColumns _row;
    private readonly RowColumn _column;

    internal RowField(RowColumns row, RowColumn column)
    {
        _row = row;
        _column = column;
    }

    /// <summary>Whether the name holds JSON escapes (<see cref="RawName"/> is then not the name itself).</summary>
    public bool NameIsEscaped => _column.NameIsEscaped;

    /// <summary>The name's bytes as received, without the quotes.</summary>
    public ReadOnlySpan<byte> RawName => _row.RawName(_column);

    /// <summary>The value's JSON token type.</summary>
    public JsonTokenType ValueKind => _column.ValueType;

    /// <summary>Whether a string value holds JSON escapes.</summary>
    public bool ValueIsEscaped => _column.ValueIsEscaped;

    /// <summary>The value's bytes as received: a string without its quotes (still escaped), any other value whole.</summary>
    public ReadOnlySpan<byte> RawValue => _row.RawValue(_column);

    /// <summary>Whether the value is the empty JSON object (whitespace allowed).</summary>
    public bool IsEmptyObject => _column.ValueType == JsonTokenType.StartObject && JsonScan.IsEmptyObject(RawValue);

    /// <summary>A string value, unescaped (null for any other token).</summary>
    public string? GetString() => _row.GetString(_column);

    /// <summary>A uuid value written as a JSON string.</summary>
    public bool TryGetGuid(out Guid value) => _row.TryGetGuid(_column, out value);

    /// <summary>An ISO 8601 timestamp written as a JSON string.</summary>
    public bool TryGetDateTimeOffset(out DateTimeOffset value) => _row.TryGetDateTimeOffset(_column, out value);
}
