using System.Globalization;
using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class IsoTimestampTests
{
    [Theory]
    [InlineData("2026-11-30T09:43:58.290823+00:00")]
    [InlineData("2026-11-30 09:43:58.290823+00")]
    [InlineData("2026-11-30T09:43:58+05:30")]
    [InlineData("2026-11-30T09:43:58.1Z")]
    [InlineData("2024-02-29T23:59:59.9999999-08:00")]
    [InlineData("0001-01-01T00:00:00+00:00")]
    public void Parses_what_the_general_parser_parses_to_the_same_instant_and_offset(string text)
    {
        Assert.True(IsoTimestamp.TryParse(Encoding.UTF8.GetBytes(text), out var fast));
        var reference = DateTimeOffset.Parse(text.Replace(' ', 'T'), CultureInfo.InvariantCulture);
        Assert.Equal(reference, fast);
        Assert.Equal(reference.Offset, fast.Offset);
    }

    [Fact]
    public void Digits_beyond_the_seventh_are_dropped_as_the_reader_drops_them()
    {
        Assert.True(IsoTimestamp.TryParse("2026-11-30T09:43:58.123456789+00:00"u8, out var fast));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 9, 43, 58, TimeSpan.Zero).AddTicks(1_234_567), fast);
    }

    [Theory]
    [InlineData("2026-02-30T00:00:00+00:00")] // no such day
    [InlineData("2026-11-30T24:00:00+00:00")]
    [InlineData("2026-11-30T09:43:58.+00:00")]
    [InlineData("2026-11-30T09:43:58")] // no offset: not what timestamptz gives
    [InlineData("2026-11-30T09:43:58+1")]
    [InlineData("2026-11-30T09:43:58+15:00")]
    [InlineData("0001-01-01T00:00:00+01:00")] // before DateTimeOffset.MinValue in UTC
    [InlineData("yesterday, at noon and more")]
    [InlineData("2026-11-30T09:43:58+00:00 ")]
    public void Declines_anything_else(string text) => Assert.False(IsoTimestamp.TryParse(Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void Agrees_with_the_reader_on_many_random_instants()
    {
        var random = new Random(7);
        for (var i = 0; i < 2_000; i++)
        {
            var instant = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.FromMinutes(random.Next(-14 * 4, 14 * 4) * 15))
                .AddTicks((long)(random.NextDouble() * 3e17));
            var digits = random.Next(0, 8);
            var text = instant.ToString("yyyy-MM-dd'T'HH:mm:ss" + (digits > 0 ? "." + new string('f', digits) : "") + "zzz", CultureInfo.InvariantCulture);
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes("\"" + text + "\""));
            reader.Read();
            Assert.True(reader.TryGetDateTimeOffset(out var expected), text);
            Assert.True(IsoTimestamp.TryParse(Encoding.UTF8.GetBytes(text), out var fast), text);
            Assert.Equal(expected, fast);
            Assert.Equal(expected.Offset, fast.Offset);
        }
    }
}
