using System.Globalization;
using System.Text;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>
/// Parses PostgREST's query string grammar (select, filters, logic trees, order, ranges) into
/// plain values. Nothing here touches SQL: names are checked against the catalog later.
/// </summary>
internal static class QueryParser
{
    /// <summary>The operators this stack understands (PostgREST's names).</summary>
    public static readonly IReadOnlySet<string> Operators = new HashSet<string>(StringComparer.Ordinal)
    {
        "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "is", "isdistinct", "in",
    };

    /// <summary>How deep select embeddings and logic trees may nest (deeper input is refused, not recursed into).</summary>
    public const int MaxDepth = 16;

    private static readonly HashSet<string> Casts = new(StringComparer.Ordinal)
    {
        "text", "json", "jsonb", "int", "int4", "int8", "integer", "bigint", "numeric", "boolean", "bool", "uuid", "date", "timestamptz",
    };

    // ---------------------------------------------------------------- select

    public static IReadOnlyList<SelectItem> ParseSelect(string? select)
    {
        if (string.IsNullOrWhiteSpace(select))
        {
            return [new SelectItem("*")];
        }
        var text = StripWhitespace(select);
        var pos = 0;
        var items = ParseSelectList(text, ref pos, nested: false, depth: 0);
        if (pos != text.Length)
        {
            throw SelectError(text, pos);
        }
        return items;
    }

    private static List<SelectItem> ParseSelectList(string s, ref int pos, bool nested, int depth)
    {
        if (depth > MaxDepth)
        {
            throw PostgrestError.Parse("failed to parse select parameter (" + s + ")", $"embedding nested deeper than {MaxDepth} levels");
        }
        var items = new List<SelectItem>();
        while (true)
        {
            if (nested && pos < s.Length && s[pos] == ')' && items.Count == 0)
            {
                return items; // embed(): no columns
            }
            items.Add(ParseSelectItem(s, ref pos, depth));
            if (pos < s.Length && s[pos] == ',')
            {
                pos++;
                continue;
            }
            return items;
        }
    }

    private static SelectItem ParseSelectItem(string s, ref int pos, int depth)
    {
        if (pos < s.Length && s[pos] == '*')
        {
            pos++;
            return new SelectItem("*");
        }
        var first = ReadName(s, ref pos) ?? throw SelectError(s, pos);
        string? alias = null;
        var name = first;
        if (pos < s.Length && s[pos] == ':' && (pos + 1 >= s.Length || s[pos + 1] != ':'))
        {
            pos++;
            alias = first;
            name = ReadName(s, ref pos) ?? throw SelectError(s, pos);
        }
        var path = new StringBuilder();
        while (pos + 1 < s.Length && s[pos] == '-' && s[pos + 1] == '>')
        {
            var arrow = pos + 2 < s.Length && s[pos + 2] == '>' ? "->>" : "->";
            pos += arrow.Length;
            var signed = pos < s.Length && s[pos] == '-';
            if (signed)
            {
                pos++;
            }
            var key = ReadName(s, ref pos) ?? throw SelectError(s, pos);
            path.Append(arrow).Append(signed ? "-" : "").Append(key);
        }
        if (path.Length > 0)
        {
            name += path.ToString();
        }
        string? hint = null;
        var inner = false;
        while (pos < s.Length && s[pos] == '!')
        {
            pos++;
            var word = ReadName(s, ref pos) ?? throw SelectError(s, pos);
            if (word == "inner")
            {
                inner = true;
            }
            else if (word == "left")
            {
                inner = false;
            }
            else
            {
                hint = word;
            }
        }
        if (pos < s.Length && s[pos] == '(')
        {
            pos++;
            var children = ParseSelectList(s, ref pos, nested: true, depth + 1);
            if (pos >= s.Length || s[pos] != ')')
            {
                throw SelectError(s, pos);
            }
            pos++;
            return new SelectItem(name, alias, null, children, hint, inner);
        }
        if (hint is not null || inner || (path.Length > 0 && pos < s.Length && s[pos] == '('))
        {
            throw SelectError(s, pos);
        }
        string? cast = null;
        if (pos + 1 < s.Length && s[pos] == ':' && s[pos + 1] == ':')
        {
            pos += 2;
            cast = ReadName(s, ref pos);
            if (cast is null || !Casts.Contains(cast))
            {
                throw PostgrestError.Parse("failed to parse select parameter (" + s + ")", $"unsupported cast \"{cast}\"");
            }
        }
        return new SelectItem(name, alias, cast);
    }

    private static string? ReadName(string s, ref int pos)
    {
        if (pos < s.Length && s[pos] == '"')
        {
            var sb = new StringBuilder();
            pos++;
            while (pos < s.Length)
            {
                if (s[pos] == '"')
                {
                    if (pos + 1 < s.Length && s[pos + 1] == '"')
                    {
                        sb.Append('"');
                        pos += 2;
                        continue;
                    }
                    pos++;
                    return sb.Length == 0 ? null : sb.ToString();
                }
                if (char.IsControl(s[pos]))
                {
                    return null; // no control characters (NUL above all) in identifiers
                }
                sb.Append(s[pos++]);
            }
            return null;
        }
        var start = pos;
        while (pos < s.Length && (char.IsLetterOrDigit(s[pos]) || s[pos] is '_' or '$'))
        {
            pos++;
        }
        return pos == start ? null : s[start..pos];
    }

    private static PostgrestError SelectError(string s, int pos) =>
        PostgrestError.Parse(
            "failed to parse select parameter (" + s + ")",
            pos < s.Length ? $"unexpected \"{s[pos]}\" at position {pos}" : "unexpected end of input");

    private static string StripWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        var quoted = false;
        foreach (var c in s)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            if (quoted || !char.IsWhiteSpace(c))
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>Splits <c>col-&gt;a-&gt;&gt;b</c> into the column and its JSON path steps (key, as text?).</summary>
    public static (string Column, IReadOnlyList<(string Key, bool AsText)> Path) ParseJsonPath(string reference)
    {
        var arrow = reference.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0)
        {
            return (reference, []);
        }
        var column = reference[..arrow];
        var steps = new List<(string, bool)>();
        var pos = arrow;
        while (pos < reference.Length)
        {
            if (string.CompareOrdinal(reference, pos, "->", 0, 2) != 0)
            {
                throw PostgrestError.Parse($"failed to parse column ({reference})", "expecting -> or ->>");
            }
            var asText = pos + 2 < reference.Length && reference[pos + 2] == '>';
            pos += asText ? 3 : 2;
            var next = reference.IndexOf("->", pos + 1, StringComparison.Ordinal);
            var key = next < 0 ? reference[pos..] : reference[pos..next];
            if (key.Length == 0 || key.Length > 256 || key.Any(char.IsControl))
            {
                throw PostgrestError.Parse($"failed to parse column ({reference})", "empty or invalid JSON key");
            }
            steps.Add((key, asText));
            if (steps.Count > MaxDepth)
            {
                throw PostgrestError.Parse($"failed to parse column ({reference})", $"JSON path longer than {MaxDepth} keys");
            }
            pos = next < 0 ? reference.Length : next;
        }
        return (column, steps);
    }

    // ---------------------------------------------------------------- filters

    /// <summary>A top-level filter: <c>column=[not.]op.value</c> (the value is taken as is).</summary>
    public static FilterCondition ParseFilter(string column, string expression)
    {
        var negated = false;
        var rest = expression;
        if (rest.StartsWith("not.", StringComparison.Ordinal))
        {
            negated = true;
            rest = rest[4..];
        }
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        var op = dot < 0 ? rest : rest[..dot];
        if (!Operators.Contains(op))
        {
            throw PostgrestError.Parse($"failed to parse filter ({expression})", $"unknown or unsupported operator \"{op}\"");
        }
        if (dot < 0)
        {
            throw PostgrestError.Parse($"failed to parse filter ({expression})", "missing value after the operator");
        }
        var value = rest[(dot + 1)..];
        return Build(column, op, value, negated, quotedValues: false, expression);
    }

    /// <summary>
    /// A logic tree: the value of <c>or=</c> / <c>and=</c>, e.g. <c>(a.eq.1,and(b.gt.2,c.is.null))</c>.
    /// </summary>
    public static LogicCondition ParseLogic(bool isOr, bool negated, string expression) => ParseLogic(isOr, negated, expression, 0);

    private static LogicCondition ParseLogic(bool isOr, bool negated, string expression, int depth)
    {
        if (depth > MaxDepth)
        {
            throw PostgrestError.Parse($"failed to parse logic tree ({expression})", $"logic tree nested deeper than {MaxDepth} levels");
        }
        if (expression.Length < 2 || expression[0] != '(' || expression[^1] != ')')
        {
            throw PostgrestError.Parse($"failed to parse logic tree ({expression})", "expecting \"(\" ... \")\"");
        }
        var parts = SplitTopLevel(expression[1..^1], expression);
        if (parts.Count == 0)
        {
            throw PostgrestError.Parse($"failed to parse logic tree ({expression})", "empty logic tree");
        }
        var children = new List<Condition>(parts.Count);
        foreach (var part in parts)
        {
            children.Add(ParseLogicItem(part, expression, depth));
        }
        return new LogicCondition(isOr, children, negated);
    }

    private static Condition ParseLogicItem(string part, string whole, int depth)
    {
        var negated = false;
        var p = part;
        if (p.StartsWith("not.", StringComparison.Ordinal) && (p.StartsWith("not.and(", StringComparison.Ordinal) || p.StartsWith("not.or(", StringComparison.Ordinal)))
        {
            negated = true;
            p = p[4..];
        }
        if (p.StartsWith("and(", StringComparison.Ordinal))
        {
            return ParseLogic(false, negated, p[3..], depth + 1);
        }
        if (p.StartsWith("or(", StringComparison.Ordinal))
        {
            return ParseLogic(true, negated, p[2..], depth + 1);
        }
        // column.[not.]op.value
        var dot = p.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            throw PostgrestError.Parse($"failed to parse logic tree ({whole})", $"expecting column.operator.value in \"{part}\"");
        }
        var column = p[..dot];
        var rest = p[(dot + 1)..];
        if (rest.StartsWith("not.", StringComparison.Ordinal))
        {
            negated = true;
            rest = rest[4..];
        }
        var opDot = rest.IndexOf('.', StringComparison.Ordinal);
        var op = opDot < 0 ? rest : rest[..opDot];
        if (!Operators.Contains(op) || opDot < 0)
        {
            throw PostgrestError.Parse($"failed to parse logic tree ({whole})", $"unknown or unsupported operator \"{op}\"");
        }
        return Build(column, op, rest[(opDot + 1)..], negated, quotedValues: true, whole);
    }

    private static FilterCondition Build(string column, string op, string value, bool negated, bool quotedValues, string whole)
    {
        if (op == "in")
        {
            if (value.Length < 2 || value[0] != '(' || value[^1] != ')')
            {
                throw PostgrestError.Parse($"failed to parse filter (in.{value})", "expecting a list like (a,b,\"c,d\")");
            }
            var values = SplitTopLevel(value[1..^1], whole).Select(Unquote).ToList();
            return new FilterCondition(column, op, value, values, negated);
        }
        if (op == "is")
        {
            var v = value.ToLowerInvariant();
            if (v is not ("null" or "not_null" or "true" or "false" or "unknown"))
            {
                throw PostgrestError.Parse($"failed to parse filter (is.{value})", "expecting null, not_null, true, false or unknown");
            }
            return new FilterCondition(column, op, v, null, negated);
        }
        return new FilterCondition(column, op, quotedValues ? Unquote(value) : value, null, negated);
    }

    /// <summary>Splits on commas outside parentheses and double quotes (backslash escapes inside quotes).</summary>
    internal static List<string> SplitTopLevel(string s, string whole)
    {
        var parts = new List<string>();
        if (s.Length == 0)
        {
            return parts;
        }
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (quoted)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                continue;
            }
            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    if (depth < 0)
                    {
                        throw PostgrestError.Parse($"failed to parse logic tree ({whole})", "unbalanced parentheses");
                    }
                    break;
                case ',' when depth == 0:
                    parts.Add(s[start..i]);
                    start = i + 1;
                    break;
            }
        }
        if (quoted || depth != 0)
        {
            throw PostgrestError.Parse($"failed to parse logic tree ({whole})", quoted ? "unterminated quote" : "unbalanced parentheses");
        }
        parts.Add(s[start..]);
        return parts;
    }

    /// <summary>Removes surrounding double quotes and backslash escapes: <c>"a,\"b"</c> → <c>a,"b</c>.</summary>
    internal static string Unquote(string value)
    {
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"')
        {
            return value;
        }
        var sb = new StringBuilder(value.Length);
        for (var i = 1; i < value.Length - 1; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length - 1)
            {
                i++;
            }
            sb.Append(value[i]);
        }
        return sb.ToString();
    }

    // ---------------------------------------------------------------- order, paging

    public static IReadOnlyList<OrderTerm> ParseOrder(string order)
    {
        var terms = new List<OrderTerm>();
        foreach (var raw in order.Split(','))
        {
            var parts = raw.Trim().Split('.');
            if (parts[0].Length == 0)
            {
                throw PostgrestError.Parse($"failed to parse order ({order})", "empty column name");
            }
            var desc = false;
            bool? nullsFirst = null;
            foreach (var modifier in parts.Skip(1))
            {
                switch (modifier)
                {
                    case "asc": desc = false; break;
                    case "desc": desc = true; break;
                    case "nullsfirst": nullsFirst = true; break;
                    case "nullslast": nullsFirst = false; break;
                    default:
                        throw PostgrestError.Parse($"failed to parse order ({order})", $"unexpected \"{modifier}\" expecting \"asc\", \"desc\", \"nullsfirst\" or \"nullslast\"");
                }
            }
            terms.Add(new OrderTerm(parts[0], desc, nullsFirst));
        }
        return terms;
    }

    public static long ParseNonNegative(string name, string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw PostgrestError.Parse($"failed to parse {name} parameter ({value})", "expecting a non-negative integer");

    /// <summary>A <c>Range: 0-9</c> header (or <c>items=0-9</c>): offset and optional inclusive end.</summary>
    public static (long From, long? To)? ParseRange(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        var value = header.Trim();
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq >= 0)
        {
            value = value[(eq + 1)..];
        }
        var dash = value.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !long.TryParse(value[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            return null;
        }
        var toText = value[(dash + 1)..];
        if (toText.Length == 0)
        {
            return (from, null);
        }
        if (!long.TryParse(toText, NumberStyles.None, CultureInfo.InvariantCulture, out var to))
        {
            return null;
        }
        if (to < from)
        {
            throw new PostgrestError(416, "PGRST103", "Requested range not satisfiable", $"The lower boundary must be lower than or equal to the upper boundary in the Range header.");
        }
        return (from, to);
    }
}
