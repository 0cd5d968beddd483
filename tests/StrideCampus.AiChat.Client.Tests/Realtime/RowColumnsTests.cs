using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class RowColumnsTests
{
    private readonly Utf8StringCache _names = new();
    private readonly List<long> _ids = [];

    private PostgresChangeFrame Parse(string payload)
    {
        var frame = new PostgresChangeFrame();
        PostgresChangeParser.Parse(Encoding.UTF8.GetBytes(payload), frame, _ids, _names);
        return frame;
    }

    [Fact]
    public void Columns_are_located_in_place_with_escapes_and_nested_values()
    {
        var change = Parse("""
            {"data":{"record":{"id":"6f9619ff-8b86-d011-b42d-00cf4fc964ff","t\u0069tle":"a \"b\" \u00e9","n":-1.5,"ok":true,
             "at":"2026-11-30T09:43:58.290823\u002B00:00","meta":{"x":[1,{"y":"]"}]},"none":null},
             "old_record":{},"schema":"public","table":"t","type":"INSERT"},"ids":[7]}
            """);
        Assert.Equal([7L], _ids); // ids after data, as Supabase's sorted maps send them
        var row = change.New;
        Assert.True(row.IsPresent && row.IsObject);
        Assert.Equal(7, row.Count);
        Assert.False(change.Old.IsPresent); // {} is an absent image (realtime-js fills one in)

        Assert.True(row.TryFind("id"u8, out var id));
        Assert.True(row.TryGetGuid(id, out var guid));
        Assert.Equal(Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"), guid);
        Assert.True(row.TryFind("title"u8, out var title)); // an escaped name matches unescaped
        Assert.True(title.NameIsEscaped);
        Assert.Equal("a \"b\" é", row.GetString(title));
        Assert.True(row.TryFind("n"u8, out var n));
        Assert.Equal(JsonTokenType.Number, n.ValueType);
        Assert.Equal("-1.5", Encoding.UTF8.GetString(row.RawValue(n)));
        Assert.True(row.TryFind("ok"u8, out var ok) && ok.ValueType == JsonTokenType.True);
        Assert.True(row.TryFind("at"u8, out var at));
        Assert.True(row.TryGetDateTimeOffset(at, out var time));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 9, 43, 58, TimeSpan.Zero).AddTicks(2_908_230), time);
        Assert.True(row.TryFind("meta"u8, out var meta));
        Assert.Equal("""{"x":[1,{"y":"]"}]}""", Encoding.UTF8.GetString(row.RawValue(meta)));
        Assert.True(row.TryFind("none"u8, out var none) && none.ValueType == JsonTokenType.Null && row.GetString(none) is null);
        Assert.False(row.TryFind("missing"u8, out _));
        Assert.False(row.TryGetGuid(n, out _));
        Assert.False(row.TryGetDateTimeOffset(title, out _));

        // The copy a public event gets is the image as received.
        var image = change.ToEvent().New!.Value;
        Assert.Equal("a \"b\" é", image.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("""{"data":{"schema":"public","table":"t","type":"INSERT"}} 5""")]
    [InlineData("""{"data":{"schema":"public","table":"t","type":"INSERT"}},{"x":1}""")]
    [InlineData("""{"data":{"schema":"public","table":"t","type":"INSERT"}}]""")]
    [InlineData("""{"data":{"schema":"public","table":"t","type":"INSERT","record":{"a":1""")]
    public void Anything_after_or_missing_from_the_payload_is_rejected(string payload)
    {
        var ex = Record.Exception(() => Parse(payload));
        Assert.True(ex is FormatException or JsonException, ex?.GetType().Name ?? "no exception");
    }

    [Fact]
    public void A_frame_reused_for_the_next_change_forgets_the_last_one()
    {
        var frame = new PostgresChangeFrame();
        PostgresChangeParser.Parse(Encoding.UTF8.GetBytes("""{"data":{"schema":"public","table":"t","type":"UPDATE","record":{"a":1},"old_record":{"a":0}}}"""), frame, _ids, _names);
        Assert.True(frame.Old.IsPresent);
        PostgresChangeParser.Parse(Encoding.UTF8.GetBytes("""{"data":{"schema":"public","table":"t","type":"INSERT","record":{"b":2,"c":3},"record":{"d":4}}}"""), frame, _ids, _names);
        Assert.False(frame.Old.IsPresent);
        Assert.Equal(1, frame.New.Count); // a repeated image: the last one holds
        Assert.True(frame.New.TryFind("d"u8, out _));
    }
}
