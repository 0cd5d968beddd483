using System.Globalization;
using System.Text;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// A parsed postgres_changes filter such as <c>session_id=eq.42</c> or <c>status=in.(a,b)</c>;
/// several conditions separated by top-level commas must all hold. Values are compared as the
/// column's type, as Supabase does with <c>value::type op filter::type</c>; a null or missing
/// column never matches.
/// </summary>
internal sealed class ChangeFilter
{
    private ChangeFilter(IReadOnlyList<FilterCondition> conditions) => Conditions = conditions;

    public static ChangeFilter None { get; } = new([]);

    public IReadOnlyList<FilterCondition> Conditions { get; }

    public static bool TryParse(string? filter, out ChangeFilter result, out string? error)
    {
        result = None;
        error = null;
        if (string.IsNullOrWhiteSpace(filter))
        {
            return true;
        }
        var conditions = new List<FilterCondition>();
        foreach (var segment in SplitTopLevel(filter.Trim()))
        {
            var eq = segment.IndexOf('=', StringComparison.Ordinal);
            var dot = eq < 0 ? -1 : segment.IndexOf('.', eq + 1);
            if (eq <= 0 || dot < 0)
            {
                error = $"Error parsing `filter` params: [\"{segment}\"]";
                return false;
            }
            var column = segment[..eq].Trim();
            var negate = string.CompareOrdinal(segment, eq + 1, "not.", 0, 4) == 0;
            if (negate)
            {
                dot = segment.IndexOf('.', eq + 5);
                if (dot < 0)
                {
                    error = $"Error parsing `filter` params: [\"{segment}\"]";
                    return false;
                }
            }
            var op = segment[(eq + (negate ? 5 : 1))..dot];
            var value = segment[(dot + 1)..];
            FilterOperator? parsed = op switch
            {
                "eq" => FilterOperator.Eq,
                "neq" => FilterOperator.Neq,
                "lt" => FilterOperator.Lt,
                "lte" => FilterOperator.Lte,
                "gt" => FilterOperator.Gt,
                "gte" => FilterOperator.Gte,
                "in" => FilterOperator.In,
                "like" => FilterOperator.Like,
                "ilike" => FilterOperator.ILike,
                "is" => FilterOperator.Is,
                "match" => FilterOperator.Match,
                "imatch" => FilterOperator.IMatch,
                "isdistinct" => FilterOperator.IsDistinct,
                _ => null,
            };
            if (parsed is null || column.Length == 0)
            {
                error = $"Error parsing `filter` params: [\"{column}\", \"{op}\", \"{value}\"]";
                return false;
            }
            IReadOnlyList<string> values;
            if (parsed == FilterOperator.In)
            {
                if (value.Length < 2 || value[0] != '(' || value[^1] != ')')
                {
                    error = $"Error parsing `filter` params: [\"{column}\", \"{op}\", \"{value}\"]";
                    return false;
                }
                values = SplitList(value[1..^1]);
                if (values.Count > FilterOperators.MaxInValues)
                {
                    error = $"too many values for `in` filter. Maximum {FilterOperators.MaxInValues}";
                    return false;
                }
            }
            else
            {
                values = [FilterOperators.Unquote(value)];
                if (parsed == FilterOperator.Is && !FilterOperators.IsKeyword(values[0]))
                {
                    error = "invalid value for is filter: must be null, true, false, or unknown";
                    return false;
                }
            }
            conditions.Add(new FilterCondition(column, parsed.Value, values, negate));
        }
        result = new ChangeFilter(conditions);
        return true;
    }

    /// <summary>True when every condition holds for the row (column text values as pgoutput gives them).</summary>
    public bool Matches(RelationInfo relation, string?[] values)
    {
        foreach (var condition in Conditions)
        {
            var index = relation.IndexOf(condition.Column);
            if (index < 0 || index >= values.Length || ReferenceEquals(values[index], RowChange.Unchanged))
            {
                return false;
            }
            // NULL only satisfies `is.null` and `isdistinct` (SQL's three-valued logic; see FilterOperators).
            var ok = FilterOperators.Holds(condition, relation.Columns[index].TypeName, values[index]);
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Compares a column's text value with a filter value as the column's type; null when not comparable.</summary>
    internal static int? Compare(string type, string actual, string expected)
    {
        switch (type)
        {
            case "int2" or "int4" or "int8" or "oid" or "numeric":
                return decimal.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) &&
                       decimal.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) ? a.CompareTo(b) : null;
            case "float4" or "float8":
                return double.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var da) &&
                       double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var db) ? da.CompareTo(db) : null;
            case "bool":
                return PgText.TryParseBool(actual, out var ba) && PgText.TryParseBool(expected, out var bb) ? ba.CompareTo(bb) : null;
            case "uuid":
                return Guid.TryParse(actual, out var ga) && Guid.TryParse(expected, out var gb) ? ga.CompareTo(gb) : null;
            case "timestamptz" or "timestamp" or "date":
                return PgText.TryParseTimestamp(actual, out var ta) && PgText.TryParseTimestamp(expected, out var tb) ? ta.CompareTo(tb) : null;
            default:
                return string.CompareOrdinal(actual, expected);
        }
    }

    private static List<string> SplitTopLevel(string filter)
    {
        var parts = new List<string>();
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < filter.Length; i++)
        {
            switch (filter[i])
            {
                case '"':
                    quoted = !quoted;
                    break;
                case '(' when !quoted:
                    depth++;
                    break;
                case ')' when !quoted:
                    depth--;
                    break;
                case ',' when !quoted && depth == 0:
                    parts.Add(filter[start..i]);
                    start = i + 1;
                    break;
            }
        }
        parts.Add(filter[start..]);
        return parts;
    }

    private static List<string> SplitList(string list)
    {
        var values = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < list.Length; i++)
        {
            var c = list[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && quoted && i + 1 < list.Length)
            {
                current.Append(list[++i]);
            }
            else if (c == ',' && !quoted)
            {
                values.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        values.Add(current.ToString().Trim());
        return values;
    }
}
