using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime.Rows;

/// <summary>
/// A row image of a change, read where it lies in the received frame. A ref struct: valid only during the callback
/// it was handed to (the receive buffer is reused), and the compiler keeps it there.
/// </summary>
internal readonly ref struct RowReader
{
    /// <summary>The nesting depth a row is accepted with (the frame's).</summary>
    public static int MaxDepth => PostgresChangeParser.Options.MaxDepth;

    private readonly RowColumns _row;

    internal RowReader(RowColumns row) => _row = row;

    /// <summary>Whether the change carries this image (null, absent and <c>{}</c> count as absent).</summary>
    public bool IsPresent => _row.IsPresent;

    /// <summary>Whether the image is a JSON object (its columns are then listed).</summary>
    public bool IsObject => _row.IsObject;

    /// <summary>The number of columns.</summary>
    /// <exception cref="System.Text.Json.JsonException">An image only delimited so far is malformed.</exception>
    public int Count => _row.Count;

    /// <summary>The image's JSON as received.</summary>
    public ReadOnlySpan<byte> Utf8 => _row.Utf8;

    /// <summary>The column at <paramref name="index"/>.</summary>
    public RowField this[int index] => new(_row, _row[index]);

    /// <summary>Reads a row given as standalone JSON (tests, and rows that did not come in a frame).</summary>
    /// <exception cref="System.Text.Json.JsonException">The JSON is not valid.</exception>
    /// <exception cref="FormatException">The JSON is truncated or has data after the value.</exception>
    public static RowReader Parse(ReadOnlyMemory<byte> utf8)
    {
        var row = new RowColumns();
        PostgresChangeParser.ReadRowImage(utf8, row);
        return new RowReader(row);
    }

    /// <summary>Finds a column by its (unescaped) name; the first one if named twice.</summary>
    public bool TryFind(ReadOnlySpan<byte> name, out RowField field)
    {
        if (_row.TryFind(name, out var column))
        {
            field = new RowField(_row, column);
            return true;
        }

        field = default;
        return false;
    }

    /// <summary>The uuid in the column <paramref name="name"/>, if there is one.</summary>
    public bool TryGetGuid(ReadOnlySpan<byte> name, out Guid value)
    {
        value = default;
        return TryFind(name, out var field) && field.TryGetGuid(out value);
    }
}
