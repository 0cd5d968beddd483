using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// Parses a <c>postgres_changes</c> payload straight from the frame bytes: only the row images (<c>new</c>/<c>old</c>,
/// or <c>record</c>/<c>old_record</c>) are copied; <c>columns</c> is skipped; names come from a string cache.
/// </summary>
internal static class PostgresChangeParser
{
    internal static readonly JsonReaderOptions Options = new() { MaxDepth = 256 };

    /// <summary>Parses the payload; the binding ids go to <paramref name="ids"/> (cleared first).</summary>
    /// <exception cref="FormatException">The payload is not a postgres_changes payload.</exception>
    /// <exception cref="JsonException">The payload is not valid JSON.</exception>
    public static PostgresChangeEvent Parse(ReadOnlySpan<byte> payload, List<long> ids, Utf8StringCache names)
    {
        ids.Clear();
        var reader = new Utf8JsonReader(payload, Options);
        Expect(ref reader, JsonTokenType.StartObject);
        PostgresChangeEvent? change = null;
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
                change = ParseData(ref reader, names, payload);
            }
            else
            {
                Read(ref reader);
                reader.Skip();
            }
        }

        return change ?? throw new FormatException("postgres_changes payload without data");
    }

    private static PostgresChangeEvent ParseData(ref Utf8JsonReader reader, Utf8StringCache names, ReadOnlySpan<byte> payload)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("data must be an object");
        }

        string? schema = null, table = null;
        PostgresChangeType? type = null;
        DateTimeOffset commit = default;
        RowImage? @new = null, old = null;
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
                @new = ReadRow(ref reader, payload);
            }
            else if (reader.ValueTextEquals("old"u8) || reader.ValueTextEquals("old_record"u8))
            {
                old = ReadRow(ref reader, payload);
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

        return new PostgresChangeEvent(type.Value, schema, table, commit, @new, old, errors);
    }

    private static RowImage? ReadRow(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload)
    {
        Read(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.StartObject)
        {
            // realtime-js fills an absent image with {}: treat an empty object as absent.
            var copy = reader;
            if (copy.Read() && copy.TokenType == JsonTokenType.EndObject)
            {
                reader.Skip();
                return null;
            }
        }

        // Copy the value's bytes (the receive buffer is reused); a JsonElement is parsed from them only on demand.
        // The payload is one contiguous span, so the value's bytes are the span between its first and last token.
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var end = (int)reader.BytesConsumed;
        return new RowImage(payload[start..end].ToArray());
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
