using System.Text;

namespace StrideCampus.AiChat.Client.Rest;

/// <summary>How filter values and query strings are written for PostgREST.</summary>
internal static class PostgrestEncoding
{
    /// <summary>
    /// Percent-encodes a query component. Beyond RFC 3986's unreserved characters, <c>* , ( ) :</c> stay
    /// readable (PostgREST's own syntax); everything else, notably <c>+ &amp; = # % "</c> and spaces, is escaped.
    /// </summary>
    public static string EncodeComponent(string value)
    {
        var escaped = Uri.EscapeDataString(value);
        if (escaped.IndexOf('%', StringComparison.Ordinal) < 0)
        {
            return escaped;
        }

        return escaped
            .Replace("%2A", "*", StringComparison.Ordinal)
            .Replace("%2C", ",", StringComparison.Ordinal)
            .Replace("%28", "(", StringComparison.Ordinal)
            .Replace("%29", ")", StringComparison.Ordinal)
            .Replace("%3A", ":", StringComparison.Ordinal);
    }

    /// <summary>Builds <c>key=value&amp;...</c> from the pairs, each side encoded.</summary>
    public static string BuildQuery(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (builder.Length > 0)
            {
                builder.Append('&');
            }

            builder.Append(EncodeComponent(key)).Append('=').Append(EncodeComponent(value));
        }

        return builder.ToString();
    }

    /// <summary>
    /// Writes one element of an <c>in.(...)</c> list: double-quoted (with <c>\</c> escaping <c>"</c> and <c>\</c>)
    /// when it is empty or holds <c>, ( ) " \</c> or whitespace, which PostgREST's list syntax would misread.
    /// </summary>
    public static string QuoteListValue(string value)
    {
        var needsQuotes = value.Length == 0;
        foreach (var c in value)
        {
            if (c is ',' or '(' or ')' or '"' or '\\' || char.IsWhiteSpace(c))
            {
                needsQuotes = true;
                break;
            }
        }

        if (!needsQuotes)
        {
            return value;
        }

        return string.Concat(
            "\"",
            value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal),
            "\"");
    }

    /// <summary>Removes whitespace outside double quotes from a select list, as PostgREST's clients do.</summary>
    public static string CleanSelect(string columns)
    {
        var builder = new StringBuilder(columns.Length);
        var quoted = false;
        foreach (var c in columns)
        {
            if (char.IsWhiteSpace(c) && !quoted)
            {
                continue;
            }

            if (c == '"')
            {
                quoted = !quoted;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
