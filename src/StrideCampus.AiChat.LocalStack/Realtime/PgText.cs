using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// PostgreSQL text-format values (as pgoutput sends them) turned into the JSON Supabase Realtime
/// produces with <c>to_jsonb(value::type)</c>: booleans and numbers as JSON, json/jsonb inline,
/// timestamptz as ISO 8601 in UTC (<c>2024-01-02T03:04:05.123456+00:00</c>), timestamp with a
/// <c>T</c>, one-dimensional arrays as JSON arrays, everything else as a string.
/// </summary>
internal static class PgText
{
    public static void WriteJson(Utf8JsonWriter writer, string type, string? text)
    {
        if (text is null)
        {
            writer.WriteNullValue();
            return;
        }
        if (type.Length > 1 && type[0] == '_')
        {
            WriteArray(writer, type[1..], text);
            return;
        }
        switch (type)
        {
            case "bool":
                if (TryParseBool(text, out var b))
                {
                    writer.WriteBooleanValue(b);
                }
                else
                {
                    writer.WriteStringValue(text);
                }
                return;
            case "int2" or "int4" or "int8" or "oid" or "numeric" or "float4" or "float8":
                if (IsJsonNumber(text))
                {
                    writer.WriteRawValue(text, skipInputValidation: true);
                }
                else
                {
                    writer.WriteStringValue(text); // NaN, Infinity
                }
                return;
            case "json" or "jsonb":
                try
                {
                    using var json = JsonDocument.Parse(text);
                    WriteJsonb(writer, json.RootElement);
                }
                catch (JsonException)
                {
                    writer.WriteStringValue(text);
                }
                return;
            case "timestamptz":
                writer.WriteStringValue(TryParseTimestamp(text, out var ts) ? FormatTimestamptz(ts) : text);
                return;
            case "timestamp":
                writer.WriteStringValue(text.Length > 10 && text[10] == ' ' ? string.Concat(text.AsSpan(0, 10), "T", text.AsSpan(11)) : text);
                return;
            default:
                writer.WriteStringValue(text);
                return;
        }
    }

    /// <summary>A JSON value as jsonb holds it: compact, and duplicate object keys collapsed (the last wins).</summary>
    private static void WriteJsonb(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    properties[property.Name] = property.Value;
                }
                writer.WriteStartObject();
                foreach (var (name, value) in properties)
                {
                    writer.WritePropertyName(name);
                    WriteJsonb(writer, value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteJsonb(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    /// <summary>to_jsonb's rendering of a timestamptz in a UTC session.</summary>
    public static string FormatTimestamptz(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture) + "+00:00";

    /// <summary>Supabase's commit_timestamp: UTC, milliseconds, Z.</summary>
    public static string FormatCommitTimestamp(DateTime utc) =>
        utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "T" or "TRUE" or "Y" or "YES" or "ON" or "1":
                value = true;
                return true;
            case "F" or "FALSE" or "N" or "NO" or "OFF" or "0":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>Parses PostgreSQL (<c>2024-01-02 03:04:05.1+00</c>) or ISO 8601 timestamps; no offset means UTC.</summary>
    public static bool TryParseTimestamp(string text, out DateTimeOffset value)
    {
        var s = text.Trim().Replace(' ', 'T');
        // PostgreSQL writes offsets as +HH, +HH:MM or +HH:MM:SS; .NET wants +HH:MM.
        var sign = Math.Max(s.LastIndexOf('+'), s.LastIndexOf('-'));
        if (sign > 10)
        {
            var offset = s[(sign + 1)..];
            var pieces = offset.Split(':');
            if (pieces.Length == 1 && offset.Length == 2)
            {
                s = s[..(sign + 1)] + offset + ":00";
            }
            else if (pieces.Length == 3)
            {
                s = s[..(sign + 1)] + pieces[0] + ":" + pieces[1];
            }
        }
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    private static bool IsJsonNumber(string text)
    {
        if (text.Length == 0)
        {
            return false;
        }
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.BytesConsumed == text.Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, string elementType, string text)
    {
        if (text.Length < 2 || text[0] != '{' || text[^1] != '}' || text.Contains('{', StringComparison.Ordinal) && text.IndexOf('{', 1) > 0)
        {
            writer.WriteStringValue(text); // multi-dimensional or bounded arrays stay text
            return;
        }
        writer.WriteStartArray();
        var body = text[1..^1];
        if (body.Length > 0)
        {
            var current = new StringBuilder();
            var quoted = false;
            var wasQuoted = false;
            for (var i = 0; i <= body.Length; i++)
            {
                if (i == body.Length || (body[i] == ',' && !quoted))
                {
                    var element = current.ToString();
                    WriteJson(writer, elementType, !wasQuoted && element == "NULL" ? null : element);
                    current.Clear();
                    wasQuoted = false;
                    continue;
                }
                var c = body[i];
                if (c == '"')
                {
                    quoted = !quoted;
                    wasQuoted = true;
                }
                else if (c == '\\' && i + 1 < body.Length)
                {
                    current.Append(body[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
        }
        writer.WriteEndArray();
    }
}
