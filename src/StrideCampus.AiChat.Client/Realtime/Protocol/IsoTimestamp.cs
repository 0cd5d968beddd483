namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// Parses the timestamps PostgreSQL's <c>timestamptz</c> becomes in realtime rows
/// (<c>2026-11-30T09:43:58.290823+00:00</c>, also with a space for the T, a <c>Z</c> or an hour-only offset)
/// straight from UTF-8. Anything else returns false and the caller uses the general ISO 8601 parser.
/// </summary>
internal static class IsoTimestamp
{
    public static bool TryParse(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 20 || text[4] != (byte)'-' || text[7] != (byte)'-' || text[10] is not ((byte)'T' or (byte)' ') ||
            text[13] != (byte)':' || text[16] != (byte)':' ||
            !Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day) ||
            !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second))
        {
            return false;
        }

        var at = 19;
        long fraction = 0;
        if (text[at] == (byte)'.')
        {
            at++;
            var digits = 0;
            while (at < text.Length && (uint)(text[at] - '0') <= 9)
            {
                if (digits++ < 7)
                {
                    fraction = fraction * 10 + (text[at] - '0');
                }

                at++;
            }

            if (digits == 0)
            {
                return false;
            }

            for (; digits < 7; digits++)
            {
                fraction *= 10; // to ticks (100 ns); digits beyond the 7th are dropped
            }
        }

        int offsetMinutes;
        var rest = text[at..];
        if (rest.Length == 1 && rest[0] == (byte)'Z')
        {
            offsetMinutes = 0;
        }
        else if (rest.Length is 3 or 6 && rest[0] is (byte)'+' or (byte)'-' && Digits(rest, 1, 2, out var oh) &&
            (rest.Length == 3 || (rest[3] == (byte)':' && Digits(rest, 4, 2, out _))))
        {
            var om = rest.Length == 6 ? (rest[4] - '0') * 10 + (rest[5] - '0') : 0;
            offsetMinutes = (oh * 60 + om) * (rest[0] == (byte)'-' ? -1 : 1);
        }
        else
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || hour > 23 || minute > 59 || second > 59 ||
            year < 1 || Math.Abs(offsetMinutes) > 14 * 60)
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second).AddTicks(fraction);
        var offset = TimeSpan.FromMinutes(offsetMinutes);
        var utc = local.Ticks - offset.Ticks;
        if (utc < DateTime.MinValue.Ticks || utc > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        value = new DateTimeOffset(local, offset);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = (uint)(text[i] - '0');
            if (d > 9)
            {
                return false;
            }

            value = value * 10 + (int)d;
        }

        return true;
    }
}
