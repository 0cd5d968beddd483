using System.Globalization;

namespace StrideCampus.AiChat.Client.Rest;

/// <summary>Parses PostgREST's <c>Content-Range</c> (<c>0-24/3573</c>, <c>*/0</c>, <c>0-24/*</c>).</summary>
internal static class ContentRange
{
    /// <summary>Returns the total after the slash, or <see langword="null"/> when absent or <c>*</c>.</summary>
    public static long? ParseTotal(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        // Tolerate a unit prefix ("items 0-24/100") as RFC 9110 writes it.
        var space = text.LastIndexOf(' ');
        if (space >= 0)
        {
            text = text[(space + 1)..];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return null;
        }

        var total = text[(slash + 1)..];
        return long.TryParse(total, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;
    }
}
