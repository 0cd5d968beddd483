namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// Finds the extent of JSON values without tokenizing them: strings are skipped to their closing quote (escapes
/// honored) and containers to their balancing bracket. It checks structure only (balance, termination), not
/// grammar, so it is used for values the SDK does not read; whatever it reads goes through <c>Utf8JsonReader</c>.
/// </summary>
internal static class JsonScan
{
    public static int SkipWhitespace(ReadOnlySpan<byte> json, int at)
    {
        while (at < json.Length && json[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            at++;
        }

        return at;
    }

    /// <summary>The byte <paramref name="expected"/> after optional whitespace; returns the index after it.</summary>
    /// <exception cref="FormatException">Something else is there.</exception>
    public static int Expect(ReadOnlySpan<byte> json, int at, byte expected)
    {
        at = SkipWhitespace(json, at);
        if (at >= json.Length || json[at] != expected)
        {
            throw new FormatException($"expected '{(char)expected}' at byte {at}");
        }

        return at + 1;
    }

    /// <summary>Whether <paramref name="json"/> (one delimited value) is an object with no members.</summary>
    public static bool IsEmptyObject(ReadOnlySpan<byte> json) =>
        json.Length >= 2 && json[0] == (byte)'{' && SkipWhitespace(json, 1) == json.Length - 1;

    /// <summary>The index just past the closing quote of the string whose opening quote is at <paramref name="at"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="at">The opening quote.</param>
    /// <param name="escaped">Whether the string contains an escape.</param>
    /// <exception cref="FormatException">The string is not terminated.</exception>
    public static int SkipString(ReadOnlySpan<byte> json, int at, out bool escaped)
    {
        escaped = false;
        var i = at + 1;

        // Most strings of a payload are short (names, types): a byte loop finds their end fastest. A long one
        // (an id, a time, a text) goes on with a vectorized search.
        for (var limit = Math.Min(json.Length, i + 8); i < limit; i++)
        {
            var b = json[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }

            if (b == (byte)'\\')
            {
                escaped = true;
                i++; // the character it escapes
            }
        }

        while (i < json.Length)
        {
            var next = json[i..].IndexOfAny((byte)'"', (byte)'\\');
            if (next < 0)
            {
                break;
            }

            i += next;
            if (json[i] == (byte)'"')
            {
                return i + 1;
            }

            escaped = true;
            i += 2; // the backslash and the character it escapes
        }

        throw new FormatException("unterminated string");
    }

    /// <summary>The index just past the value that starts at <paramref name="at"/> (after optional whitespace).</summary>
    /// <exception cref="FormatException">The value is truncated or unbalanced.</exception>
    public static int SkipValue(ReadOnlySpan<byte> json, int at)
    {
        at = SkipWhitespace(json, at);
        if (at >= json.Length)
        {
            throw new FormatException("missing value");
        }

        var first = json[at];
        if (first == (byte)'"')
        {
            return SkipString(json, at, out _);
        }

        if (first is not ((byte)'{' or (byte)'['))
        {
            // A number or a literal: up to the next delimiter.
            var end = at;
            while (end < json.Length && json[end] is not ((byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                end++;
            }

            return end > at ? end : throw new FormatException($"unexpected '{(char)first}' at byte {at}");
        }

        var depth = 0;
        for (var i = at; i < json.Length; i++)
        {
            switch (json[i])
            {
                case (byte)'"':
                    i = SkipString(json, i, out _) - 1;
                    break;
                case (byte)'{' or (byte)'[':
                    depth++;
                    break;
                case (byte)'}' or (byte)']':
                    if (--depth == 0)
                    {
                        return i + 1;
                    }

                    break;
            }
        }

        throw new FormatException("truncated value");
    }
}
