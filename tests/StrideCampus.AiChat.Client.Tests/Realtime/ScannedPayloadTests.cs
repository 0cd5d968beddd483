using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>The postgres_changes parser walks the payload by hand and reads only what it uses; it must agree with a full JSON parse.</summary>
public class ScannedPayloadTests
{
    private static string Describe(PostgresChangeEvent e, List<long> ids) =>
        $"{string.Join(",", ids)}|{e.Type}|{e.Schema}|{e.Table}|{e.CommitTimestamp:O}|{e.New?.GetRawText() ?? "-"}|{e.Old?.GetRawText() ?? "-"}|{string.Join(";", e.Errors)}";

    private static string Reference(string payload)
    {
        // What the payload says, read with JsonDocument (the reference).
        using var doc = JsonDocument.Parse(payload);
        var root = doc.RootElement;
        var ids = root.TryGetProperty("ids", out var idArray) ? idArray.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetInt64() : long.Parse(x.GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList() : [];
        var data = root.GetProperty("data");
        string Image(string a, string b) =>
            (data.TryGetProperty(a, out var v) || data.TryGetProperty(b, out v)) && v.ValueKind != JsonValueKind.Null && !(v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any()) ? v.GetRawText() : "-";
        var type = (data.TryGetProperty("type", out var t) ? t : data.GetProperty("eventType")).GetString() switch
        {
            "INSERT" => PostgresChangeType.Insert,
            "UPDATE" => PostgresChangeType.Update,
            _ => PostgresChangeType.Delete,
        };
        var errors = data.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Array ? string.Join(";", e.EnumerateArray().Select(x => x.GetString())) : "";
        return $"{string.Join(",", ids)}|{type}|{data.GetProperty("schema").GetString()}|{data.GetProperty("table").GetString()}|" +
            $"{(data.TryGetProperty("commit_timestamp", out var c) ? Time(c) : default):O}|{Image("record", "new")}|{Image("old_record", "old")}|{errors}";

        // ISO 8601, or PostgreSQL's own text form (a space for the T, an hour-only offset).
        static DateTimeOffset Time(JsonElement value) => value.TryGetDateTimeOffset(out var time)
            ? time
            : DateTimeOffset.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
    }

    public static TheoryData<string> Payloads => new()
    {
        // Supabase's order (sorted keys: data before ids, old_record before type), LocalStack's order, the client shape.
        """{"data":{"columns":[{"name":"id","type":"uuid"},{"name":"x]","type":"te\"xt"}],"commit_timestamp":"2026-11-30T09:43:58.339Z","errors":null,"old_record":{"id":"a","x]":"}{"},"record":{"id":"a","x]":"b\\\"}"},"schema":"public","table":"t","type":"UPDATE"},"ids":[1,2]}""",
        """{"ids":["38606455"],"data":{"schema":"public","table":"t","commit_timestamp":"2026-11-30T09:43:58.339Z","type":"INSERT","columns":[],"record":{"n":[1,{"y":[]}],"s":"é ☃ 😀"},"errors":null}}""",
        """ { "ids" : [ 5 ] , "data" : { "schema" : "public" , "table" : "t" , "eventType" : "DELETE" , "old" : { "id" : "m" } , "new" : { } } } """,
        """{"ids":[5],"data":{"schema":"public","table":"t","type":"INSERT","errors":["Error 413: Payload Too Large"],"record":null,"extra":{"a":[{"b":"]]]"}]},"more":-1.5e3}}""",
        """{"ids":[5],"data":{"sch\u0065ma":"public","table":"t","type":"INSERT","record":{"a":1}}}""",
        """{"ids":[5],"data":{"schema":"public","table":"t","type":"UPDATE","record":{"a":1},"old_record":"not an object"}}""",
        """{"ids":[ 1 , -2 ,3],"data":{"schema":"p\u0075blic","table":"t","type":"\u0055PDATE","commit_timestamp":"2026-11-30 09:43:58.3+01","errors":[],"record":{"a":1}}}""",
        """{"ids":["7",8],"data":{"schema":"public","table":"t","type":"INSERT","commit_timestamp":"2026-11-30T09:43:58.339+05:30","record":{"a":1}}}""",
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void The_hand_walk_agrees_with_a_full_parse(string payload)
    {
        var ids = new List<long>();
        var change = PostgresChangeParser.Parse(Encoding.UTF8.GetBytes(payload), ids, new Utf8StringCache());
        Assert.Equal(Reference(payload), Describe(change, ids));
    }

    public static TheoryData<string> Malformed => new()
    {
        """{"ids":[1] "data":{}}""",
        """{"ids":[1],,"data":{}}""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT","columns":[{"name":"id"}}""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT","columns":["unterminated]}}""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT","record":{"a":}}}""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT"},}""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT"}}x""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT","record":{"a":1}""",
        """{"ids":[1],"data":{"schema":public,"table":"t","type":"INSERT"}}""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT"}""",
        """{"ids":[1],"data":[]}""",
        """{"ids":[1],"data" {}}""",
        """{"ids":[1,],"data":{"schema":"public","table":"t","type":"INSERT"}}""",
        """{"ids":[1 2],"data":{"schema":"public","table":"t","type":"INSERT"}}""",
        """{"ids":[1,"data":{"schema":"public","table":"t","type":"INSERT"}}""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"INSERT","commit_timestamp":"2026-11-30T09:43:58.339Z}}""",
        """{"ids":[1],"data":{"schema":"public","table":"t","type":"UPSERT"}}""",
        """{"ids":""",
        """{"data":{"schema":""",
        """{"data":{"type":""",
        """{"ids":[1],"data":""",
        """{"ids":[1,""",
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_payloads_throw_format_or_json_errors(string payload)
    {
        var ex = Record.Exception(() => PostgresChangeParser.Parse(Encoding.UTF8.GetBytes(payload), new PostgresChangeFrame(), [], new Utf8StringCache()));
        Assert.True(ex is FormatException or JsonException, ex?.GetType().Name ?? "no exception");
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Every_truncation_and_every_byte_dropped_fails_as_malformed_or_parses(string payload)
    {
        // Nothing but a format or JSON error may escape (anything else would end the socket's receive loop).
        var bytes = Encoding.UTF8.GetBytes(payload);
        for (var n = 0; n < bytes.Length; n++)
        {
            foreach (var cut in (byte[][])[bytes[..n], [.. bytes[..n], .. bytes[(n + 1)..]]])
            {
                var frame = new PostgresChangeFrame();
                var ex = Record.Exception(() =>
                {
                    PostgresChangeParser.Parse(cut, frame, [], new Utf8StringCache());
                    frame.ToEvent();
                });
                Assert.True(ex is null or FormatException or JsonException, $"{ex?.GetType().Name} at {n}: {ex?.Message}");
            }
        }
    }

    [Fact]
    public void A_malformed_old_row_the_parser_only_delimited_fails_when_read_and_when_copied_for_an_event()
    {
        var frame = new PostgresChangeFrame();
        PostgresChangeParser.Parse(Encoding.UTF8.GetBytes("""{"ids":[1],"data":{"schema":"public","table":"t","type":"UPDATE","record":{"a":1},"old_record":{"a":,}}}"""), frame, [], new Utf8StringCache());
        Assert.True(frame.Old.IsPresent);
        Assert.True(frame.New.TryFind("a"u8, out _));
        Assert.ThrowsAny<JsonException>(() => frame.Old.TryFind("a"u8, out _));
        Assert.ThrowsAny<JsonException>(() => frame.ToEvent());
    }
}
