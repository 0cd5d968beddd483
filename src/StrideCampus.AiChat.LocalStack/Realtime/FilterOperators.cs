using System.Text;
using System.Text.RegularExpressions;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// How one filter condition holds for a column value, as supabase/realtime's
/// <c>realtime.check_equality_op(op, type, val_1, val_2, negate)</c> decides it in SQL
/// (<c>lib/realtime/tenants/repo/migrations/20260626120000_readd_postgrest_filter_ops.ex</c>): <c>val_1::type op
/// val_2::type</c>, <c>like</c>/<c>ilike</c> as <c>LIKE</c>/<c>ILIKE</c>, <c>match</c>/<c>imatch</c> as the POSIX
/// regex operators <c>~</c>/<c>~*</c>, <c>is</c> against a keyword, <c>isdistinct</c> as <c>IS DISTINCT FROM</c>, and
/// <c>not.</c> negating the result. A NULL value makes the comparison NULL, which no negation turns true; only
/// <c>is.null</c> and <c>isdistinct</c> see NULL as a value. At most 100 values in <c>in</c> (the same migration,
/// <c>subscription_check_filters</c>).
/// </summary>
internal static class FilterOperators
{
    internal const int MaxInValues = 100;

    private static readonly TimeSpan RegexBudget = TimeSpan.FromMilliseconds(50);

    public static bool IsKeyword(string value) => value is "null" or "true" or "false" or "unknown";

    /// <summary>A value in double quotes loses them and its backslash escapes, as realtime's <c>unquote_value</c>.</summary>
    public static string Unquote(string value)
    {
        if (value.Length < 2 || value[0] != '"')
        {
            return value;
        }
        var text = new StringBuilder(value.Length);
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length)
            {
                text.Append(value[++i]);
            }
            else if (c == '"')
            {
                return i == value.Length - 1 ? text.ToString() : value; // A quote before the end: not a quoted value.
            }
            else
            {
                text.Append(c);
            }
        }
        return value; // Unterminated: taken as written.
    }

    public static bool Holds(FilterCondition condition, string type, string? actual)
    {
        var expected = condition.Values[0];
        bool? result = condition.Operator switch
        {
            FilterOperator.Is => Is(type, actual, expected),
            FilterOperator.IsDistinct => actual is null || ChangeFilter.Compare(type, actual, expected) is not 0,
            _ when actual is null => null,
            FilterOperator.In => condition.Values.Any(v => ChangeFilter.Compare(type, actual, v) == 0),
            FilterOperator.Like => Like(actual, expected, ignoreCase: false),
            FilterOperator.ILike => Like(actual, expected, ignoreCase: true),
            FilterOperator.Match => Regex(actual, expected, ignoreCase: false),
            FilterOperator.IMatch => Regex(actual, expected, ignoreCase: true),
            _ => ChangeFilter.Compare(type, actual, expected) is { } c ? condition.Operator switch
            {
                FilterOperator.Eq => c == 0,
                FilterOperator.Neq => c != 0,
                FilterOperator.Lt => c < 0,
                FilterOperator.Lte => c <= 0,
                FilterOperator.Gt => c > 0,
                FilterOperator.Gte => c >= 0,
                _ => null,
            } : null,
        };
        return result is { } holds && holds != condition.Negate;
    }

    private static bool? Is(string type, string? actual, string keyword) => keyword switch
    {
        "null" or "unknown" => actual is null,
        _ when actual is null => false,
        _ when type == "bool" && PgText.TryParseBool(actual, out var b) => b == (keyword == "true"),
        _ => null,
    };

    private static bool? Like(string actual, string pattern, bool ignoreCase)
    {
        // LIKE: % any run, _ one character, backslash escapes the next character.
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                regex.Append(System.Text.RegularExpressions.Regex.Escape(pattern[++i].ToString()));
            }
            else
            {
                regex.Append(c switch
                {
                    '%' => ".*",
                    '_' => ".",
                    _ => System.Text.RegularExpressions.Regex.Escape(c.ToString()),
                });
            }
        }
        return Regex(actual, regex.Append('$').ToString(), ignoreCase);
    }

    private static bool? Regex(string actual, string pattern, bool ignoreCase)
    {
        try
        {
            var options = RegexOptions.Singleline | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
            return System.Text.RegularExpressions.Regex.IsMatch(actual, pattern, options, RegexBudget);
        }
        catch (Exception ex) when (ex is ArgumentException or RegexMatchTimeoutException)
        {
            return null; // Not a pattern .NET reads, or over its time budget: no match.
        }
    }
}
