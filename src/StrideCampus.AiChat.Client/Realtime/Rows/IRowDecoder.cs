namespace StrideCampus.AiChat.Client.Realtime.Rows;

/// <summary>Decodes a row read in place into a value that owns its data (and so may outlive the callback).</summary>
/// <typeparam name="T">The decoded type.</typeparam>
internal interface IRowDecoder<T>
{
    /// <summary>Decodes <paramref name="row"/>; false when the row is not in the shape this decoder reads.</summary>
    bool TryDecode(RowReader row, out T? value);
}
