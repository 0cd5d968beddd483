using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// A row image of a postgres_changes payload as it lies in the frame: where each column's name and value are,
/// found while the payload is parsed (or on first use, for an image the parser only delimited), with nothing copied. Valid only while the frame is dispatched
/// (the receive buffer is reused); <see cref="ToImage"/> copies it for whatever outlives dispatch.
/// </summary>
internal sealed class RowColumns
{
    private RowColumn[] _columns = new RowColumn[16];
    private ReadOnlyMemory<byte> _payload;
    private int _start;
    private int _length;
    private bool _unread;

    /// <summary>Whether the payload carries this image (null, absent and <c>{}</c> count as absent, as in realtime-js).</summary>
    public bool IsPresent { get; private set; }

    /// <summary>Whether the image is a JSON object (its columns are then listed).</summary>
    public bool IsObject { get; private set; }

    /// <summary>The number of columns.</summary>
    public int Count
    {
        get
        {
            EnsureRead();
            return field;
        }

        private set;
    }

    /// <summary>The image's JSON as received.</summary>
    public ReadOnlySpan<byte> Utf8 => _payload.Span.Slice(_start, _length);

    public RowColumn this[int index] => (uint)index < (uint)Count ? _columns[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The image as a <see cref="RowImage"/> that owns a copy of its bytes, or null when absent.</summary>
    public RowImage? ToImage() => IsPresent ? new RowImage(Utf8.ToArray()) : null;

    /// <summary>The column's name as received (escaped when <see cref="RowColumn.NameIsEscaped"/>).</summary>
    public ReadOnlySpan<byte> RawName(scoped in RowColumn column) => _payload.Span.Slice(column.NameStart, column.NameLength);

    /// <summary>The value's bytes as received: a string without its quotes (still escaped), any other value whole.</summary>
    public ReadOnlySpan<byte> RawValue(scoped in RowColumn column) => _payload.Span.Slice(column.ValueStart, column.ValueLength);

    /// <summary>Whether the column's name, unescaped, is <paramref name="name"/>.</summary>
    public bool NameIs(in RowColumn column, ReadOnlySpan<byte> name)
    {
        if (!column.NameIsEscaped)
        {
            return RawName(column).SequenceEqual(name);
        }

        var reader = Quoted(column.NameStart, column.NameLength);
        return reader.ValueTextEquals(name);
    }

    /// <summary>Finds a column by name (first match).</summary>
    public bool TryFind(ReadOnlySpan<byte> name, out RowColumn column)
    {
        for (var i = 0; i < Count; i++)
        {
            if (NameIs(_columns[i], name))
            {
                column = _columns[i];
                return true;
            }
        }

        column = default;
        return false;
    }

    /// <summary>A string value (a JSON string; null for any other token).</summary>
    public string? GetString(in RowColumn column)
    {
        if (column.ValueType != JsonTokenType.String)
        {
            return null;
        }

        if (!column.ValueIsEscaped)
        {
            return Encoding.UTF8.GetString(RawValue(column));
        }

        var reader = Quoted(column.ValueStart, column.ValueLength);
        return reader.GetString();
    }

    /// <summary>A uuid value written as a JSON string in the canonical form.</summary>
    public bool TryGetGuid(in RowColumn column, out Guid value)
    {
        value = default;
        if (column.ValueType != JsonTokenType.String)
        {
            return false;
        }

        if (!column.ValueIsEscaped)
        {
            return Utf8Parser.TryParse(RawValue(column), out value, out var consumed, 'D') && consumed == column.ValueLength;
        }

        var reader = Quoted(column.ValueStart, column.ValueLength);
        return reader.TryGetGuid(out value);
    }

    /// <summary>An ISO 8601 timestamp written as a JSON string (what PostgreSQL's timestamptz becomes).</summary>
    public bool TryGetDateTimeOffset(in RowColumn column, out DateTimeOffset value)
    {
        value = default;
        if (column.ValueType != JsonTokenType.String)
        {
            return false;
        }

        if (!column.ValueIsEscaped && IsoTimestamp.TryParse(RawValue(column), out value))
        {
            return true;
        }

        var reader = Quoted(column.ValueStart, column.ValueLength);
        return reader.TryGetDateTimeOffset(out value);
    }

    internal void Reset(ReadOnlyMemory<byte> payload)
    {
        _payload = payload;
        Clear();
    }

    /// <summary>
    /// Locates the columns of an image the parser only delimited (the old row of an update, which the SDK does not
    /// read): done on first use. Throws <see cref="JsonException"/> or <see cref="FormatException"/> if malformed.
    /// </summary>
    public void EnsureRead()
    {
        if (_unread)
        {
            var (start, length) = (_start, _length);
            try
            {
                var reader = new Utf8JsonReader(_payload.Span.Slice(start, length), PostgresChangeParser.Options);
                PostgresChangeParser.ReadRow(ref reader, this, start);
            }
            catch
            {
                SetUnread(start, length); // every later reader gets the same error
                throw;
            }
        }
    }

    /// <summary>Records where an image lies without locating its columns yet (see <see cref="EnsureRead"/>).</summary>
    internal void SetUnread(int start, int length)
    {
        Clear();
        var json = _payload.Span.Slice(start, length);
        _start = start;
        _length = length;
        IsObject = json[0] == (byte)'{';
        IsPresent = IsObject ? !JsonScan.IsEmptyObject(json) : !json.SequenceEqual("null"u8);
        _unread = IsPresent && IsObject;
    }

    /// <summary>Forgets the columns (a payload that names the image twice keeps the last).</summary>
    internal void Clear()
    {
        _unread = false;
        Count = 0;
        IsPresent = false;
        IsObject = false;
        _start = 0;
        _length = 0;
    }

    internal void Add(in RowColumn column)
    {
        if (Count == _columns.Length)
        {
            Array.Resize(ref _columns, Count * 2);
        }

        _columns[Count++] = column;
    }

    internal void Complete(int start, int length, bool isObject)
    {
        _start = start;
        _length = length;
        IsObject = isObject;
        IsPresent = !isObject || Count > 0;
    }

    /// <summary>A reader on a string token given by its content's position (the quotes around it are in the payload).</summary>
    private Utf8JsonReader Quoted(int start, int length)
    {
        var reader = new Utf8JsonReader(_payload.Span.Slice(start - 1, length + 2));
        reader.Read();
        return reader;
    }
}
