using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace StrideCampus.AiChat.Client.Rest;

/// <summary>JSON reading and writing through caller-supplied <see cref="JsonTypeInfo{T}"/> and the node API only (no reflection).</summary>
internal static class PostgrestJson
{
    /// <summary>Writes a node with the node API's own writer.</summary>
    public static byte[] SerializeNode(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes one row.</summary>
    public static byte[] SerializeRow<T>(T row, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToUtf8Bytes(row, typeInfo);

    /// <summary>Writes rows as a JSON array.</summary>
    public static byte[] SerializeRows<T>(IReadOnlyList<T> rows, JsonTypeInfo<T> typeInfo)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var row in rows)
            {
                JsonSerializer.Serialize(writer, row, typeInfo);
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The union of the rows' property names when they differ between rows (PostgREST takes a bulk insert's
    /// columns from the first object unless told otherwise), or <see langword="null"/> when all rows agree.
    /// </summary>
    public static IReadOnlyList<string>? DifferingColumns(byte[] arrayJson)
    {
        using var document = JsonDocument.Parse(arrayJson);
        List<string>? first = null;
        var union = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var differ = false;
        foreach (var row in document.RootElement.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var names = row.EnumerateObject().Select(p => p.Name).ToList();
            if (first is null)
            {
                first = names;
            }
            else if (!names.Order(StringComparer.Ordinal).SequenceEqual(first.Order(StringComparer.Ordinal), StringComparer.Ordinal))
            {
                differ = true;
            }

            foreach (var name in names)
            {
                if (seen.Add(name))
                {
                    union.Add(name);
                }
            }
        }

        return differ ? union : null;
    }

    /// <summary>Reads a JSON array of rows (an object is read as one row, <c>null</c> or an empty body as none).</summary>
    public static List<T> DeserializeRows<T>(byte[] body, JsonTypeInfo<T> typeInfo)
    {
        var rows = new List<T>();
        if (body.Length == 0)
        {
            return rows;
        }

        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType == JsonTokenType.Null)
        {
            return rows;
        }

        if (reader.TokenType == JsonTokenType.StartObject)
        {
            rows.Add(ReadRow(ref reader, typeInfo));
            return rows;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"PostgREST returned {reader.TokenType} where rows were expected.");
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            rows.Add(ReadRow(ref reader, typeInfo));
        }

        return rows;
    }

    /// <summary>Reads one row object.</summary>
    public static T DeserializeRow<T>(byte[] body, JsonTypeInfo<T> typeInfo)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read())
        {
            throw new JsonException("PostgREST returned an empty body where a row was expected.");
        }

        return ReadRow(ref reader, typeInfo);
    }

    private static T ReadRow<T>(ref Utf8JsonReader reader, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.Deserialize(ref reader, typeInfo) ?? throw new JsonException("PostgREST returned a null row.");
}
