using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>Row images (located column by column, not copied), strings from the cache, and the errors list.</summary>
internal static partial class PostgresChangeParser
{
    /// <summary>Locates the columns of a row image given as standalone JSON (one value, nothing after it).</summary>
    /// <exception cref="FormatException">The JSON is truncated or has data after the value.</exception>
    /// <exception cref="JsonException">The JSON is not valid.</exception>
    public static void ReadRowImage(ReadOnlyMemory<byte> utf8, RowColumns row)
    {
        row.Reset(utf8);
        var reader = new Utf8JsonReader(utf8.Span, Options);
        ReadRow(ref reader, row);
        if (reader.Read())
        {
            throw new FormatException("data after the row image");
        }
    }

    /// <summary>
    /// Locates a row image and its columns (a null image stays absent; realtime-js fills an absent image with
    /// <c>{}</c>, so an empty object is absent too). Nested values are located whole, not taken apart.
    /// </summary>
    /// <param name="reader">The reader, before the image's first token.</param>
    /// <param name="row">Where the image goes.</param>
    /// <param name="offset">Where the reader's input starts in the payload (the reader may start at the image).</param>
    internal static void ReadRow(ref Utf8JsonReader reader, RowColumns row, int offset = 0)
    {
        Read(ref reader);
        row.Clear();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        var start = (int)reader.TokenStartIndex;
        var at = start + offset;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            row.Complete(at, (int)reader.BytesConsumed - start, isObject: false);
            return;
        }

        while (Read(ref reader) != JsonTokenType.EndObject)
        {
            // TokenStartIndex of a string (or property name) is its opening quote.
            var nameStart = offset + (int)reader.TokenStartIndex + 1;
            var nameLength = reader.ValueSpan.Length;
            var nameIsEscaped = reader.ValueIsEscaped;
            var type = Read(ref reader);
            var tokenStart = (int)reader.TokenStartIndex;
            var valueStart = offset + tokenStart;
            int valueLength;
            var valueIsEscaped = false;
            switch (type)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    reader.Skip();
                    valueLength = (int)reader.BytesConsumed - tokenStart;
                    break;
                case JsonTokenType.String:
                    valueStart++;
                    valueLength = reader.ValueSpan.Length;
                    valueIsEscaped = reader.ValueIsEscaped;
                    break;
                default:
                    valueLength = reader.ValueSpan.Length;
                    break;
            }

            row.Add(new RowColumn(nameStart, nameLength, nameIsEscaped, valueStart, valueLength, type, valueIsEscaped));
        }

        row.Complete(at, (int)reader.BytesConsumed - start, isObject: true);
    }

    private static string? ReadString(ref Utf8JsonReader reader, Utf8StringCache names)
    {
        Read(ref reader);
        if (reader.TokenType == JsonTokenType.String)
        {
            return names.Get(ref reader);
        }

        reader.Skip();
        return null;
    }

    private static IReadOnlyList<string> ReadErrors(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return [];
        }

        List<string>? errors = null;
        while (Read(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                (errors ??= []).Add(reader.GetString()!);
            }
            else
            {
                reader.Skip();
            }
        }

        return errors is null ? [] : errors;
    }

    private static JsonTokenType Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new FormatException("truncated postgres_changes payload");
        }

        return reader.TokenType;
    }
}
