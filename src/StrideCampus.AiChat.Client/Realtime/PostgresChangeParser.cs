using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// Parses a <c>postgres_changes</c> payload straight from the frame bytes in one pass: the row images (<c>new</c>/<c>old</c>,
/// or <c>record</c>/<c>old_record</c>) are located column by column, not copied; <c>columns</c> is skipped; names come
/// from a string cache. The frame decoder leaves this payload unvalidated (it is read here anyway), so the parser
/// also rejects anything after the payload's value.
/// </summary>
internal static class PostgresChangeParser
{
    internal static readonly JsonReaderOptions Options = new() { MaxDepth = 256 };

    /// <summary>Parses the payload into a self-contained event (row images copied); the binding ids go to <paramref name="ids"/>.</summary>
    /// <exception cref="FormatException">The payload is not a postgres_changes payload.</exception>
    /// <exception cref="JsonException">The payload is not valid JSON.</exception>
    public static PostgresChangeEvent Parse(ReadOnlyMemory<byte> payload, List<long> ids, Utf8StringCache names)
    {
        var frame = new PostgresChangeFrame();
        Parse(payload, frame, ids, names);
        return frame.ToEvent();
    }

    /// <summary>
    /// Parses the payload into <paramref name="change"/> (refilled; its rows point into <paramref name="payload"/>);
    /// the binding ids go to <paramref name="ids"/> (cleared first).
    /// </summary>
    /// <exception cref="FormatException">The payload is not a postgres_changes payload.</exception>
    /// <exception cref="JsonException">The payload is not valid JSON.</exception>
    public static void Parse(ReadOnlyMemory<byte> payload, PostgresChangeFrame change, List<long> ids, Utf8StringCache names)
    {
        ids.Clear();
        change.Reset(payload);
        var reader = new Utf8JsonReader(payload.Span, Options);
        Expect(ref reader, JsonTokenType.StartObject);
        var hasData = false;
        while (Read(ref reader) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("ids"u8))
            {
                if (Read(ref reader) == JsonTokenType.StartArray)
                {
                    while (Read(ref reader) != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var id))
                        {
                            ids.Add(id);
                        }
                        else if (reader.TokenType == JsonTokenType.String && Utf8Parser.TryParse(reader.ValueSpan, out long sid, out _))
                        {
                            ids.Add(sid);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                Read(ref reader);
                ParseData(ref reader, names, change);
                hasData = true;
            }
            else
            {
                Read(ref reader);
                reader.Skip();
            }
        }

        if (reader.Read())
        {
            throw new FormatException("data after the postgres_changes payload"); // (the reader throws first on most)
        }

        if (!hasData)
        {
            throw new FormatException("postgres_changes payload without data");
        }
    }

    private static void ParseData(ref Utf8JsonReader reader, Utf8StringCache names, PostgresChangeFrame change)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("data must be an object");
        }

        string? schema = null, table = null;
        PostgresChangeType? type = null;
        DateTimeOffset commit = default;
        IReadOnlyList<string> errors = [];
        while (Read(ref reader) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("schema"u8))
            {
                schema = ReadString(ref reader, names);
            }
            else if (reader.ValueTextEquals("table"u8))
            {
                table = ReadString(ref reader, names);
            }
            else if (reader.ValueTextEquals("eventType"u8) || reader.ValueTextEquals("type"u8))
            {
                Read(ref reader);
                type = reader.TokenType != JsonTokenType.String ? null
                    : reader.ValueTextEquals("INSERT"u8) ? PostgresChangeType.Insert
                    : reader.ValueTextEquals("UPDATE"u8) ? PostgresChangeType.Update
                    : reader.ValueTextEquals("DELETE"u8) ? PostgresChangeType.Delete
                    : null;
            }
            else if (reader.ValueTextEquals("commit_timestamp"u8))
            {
                Read(ref reader);
                if (reader.TokenType == JsonTokenType.String && !reader.TryGetDateTimeOffset(out commit))
                {
                    _ = DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out commit);
                }
            }
            else if (reader.ValueTextEquals("new"u8) || reader.ValueTextEquals("record"u8))
            {
                ReadRow(ref reader, change.New);
            }
            else if (reader.ValueTextEquals("old"u8) || reader.ValueTextEquals("old_record"u8))
            {
                ReadRow(ref reader, change.Old);
            }
            else if (reader.ValueTextEquals("errors"u8))
            {
                errors = ReadErrors(ref reader);
            }
            else
            {
                Read(ref reader);
                reader.Skip();
            }
        }

        if (type is null || schema is null || table is null)
        {
            throw new FormatException("postgres_changes data needs type, schema and table");
        }

        change.Type = type.Value;
        change.Schema = schema;
        change.Table = table;
        change.CommitTimestamp = commit;
        change.Errors = errors;
    }

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
    private static void ReadRow(ref Utf8JsonReader reader, RowColumns row)
    {
        Read(ref reader);
        row.Clear();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            row.Complete(start, (int)reader.BytesConsumed - start, isObject: false);
            return;
        }

        while (Read(ref reader) != JsonTokenType.EndObject)
        {
            // TokenStartIndex of a string (or property name) is its opening quote.
            var nameStart = (int)reader.TokenStartIndex + 1;
            var nameLength = reader.ValueSpan.Length;
            var nameIsEscaped = reader.ValueIsEscaped;
            var type = Read(ref reader);
            var valueStart = (int)reader.TokenStartIndex;
            int valueLength;
            var valueIsEscaped = false;
            switch (type)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    reader.Skip();
                    valueLength = (int)reader.BytesConsumed - valueStart;
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

        row.Complete(start, (int)reader.BytesConsumed - start, isObject: true);
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

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Read(ref reader) != type)
        {
            throw new FormatException($"expected {type}");
        }
    }
}
