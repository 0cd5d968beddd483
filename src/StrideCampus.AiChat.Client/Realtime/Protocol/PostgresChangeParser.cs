using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// Parses a <c>postgres_changes</c> payload straight from the frame bytes. The new row image (<c>record</c>/<c>new</c>)
/// is located column by column, not copied; the old one (<c>old_record</c>/<c>old</c>, which the SDK reads only for
/// deletes), <c>columns</c> and unknown members are only delimited; names come from a string cache. The frame decoder
/// leaves this payload unchecked (it is read here anyway), so the parser also rejects anything after its value.
/// </summary>
internal static partial class PostgresChangeParser
{
    internal static readonly JsonReaderOptions Options = new() { MaxDepth = 256 };

    // Longer than any member name the parser reads, even written with escapes.
    private const int MaxNameBytes = 128;

    /// <summary>Parses the payload into a self-contained event (row images copied); the binding ids go to <paramref name="ids"/>.</summary>
    /// <exception cref="FormatException">The payload is not a postgres_changes payload.</exception>
    /// <exception cref="JsonException">The payload is not valid JSON.</exception>
    public static PostgresChangeEvent Parse(ReadOnlyMemory<byte> payload, List<long> ids, Utf8StringCache names)
    {
        var frame = new PostgresChangeFrame();
        Parse(payload, frame, ids, names);
        return frame.ToEvent();
    }

    /// <summary>
    /// Parses the payload into <paramref name="change"/> (refilled; its rows point into <paramref name="payload"/>);
    /// the binding ids go to <paramref name="ids"/> (cleared first).
    /// </summary>
    /// <exception cref="FormatException">The payload is not a postgres_changes payload.</exception>
    /// <exception cref="JsonException">The payload is not valid JSON.</exception>
    public static void Parse(ReadOnlyMemory<byte> payload, PostgresChangeFrame change, List<long> ids, Utf8StringCache names)
    {
        ids.Clear();
        change.Reset(payload);

        // The payload's two object levels are walked by hand; each value the SDK uses is read with a reader
        // started at it; columns, the old row (read on demand) and unknown members are only delimited.
        var json = payload.Span;
        Span<byte> nameBuffer = stackalloc byte[MaxNameBytes];
        var at = JsonScan.Expect(json, 0, (byte)'{');
        var first = true;
        var hasData = false;
        while (NextMember(json, ref at, ref first, nameBuffer, out var key))
        {
            if (key.SequenceEqual("ids"u8))
            {
                if (!TryReadPlainIds(json, ref at, ids))
                {
                    var reader = ReaderAt(json, at);
                    ReadIds(ref reader, ids);
                    at += (int)reader.BytesConsumed;
                }
            }
            else if (key.SequenceEqual("data"u8))
            {
                at = ParseData(payload, at, change, names);
                hasData = true;
            }
            else
            {
                at = JsonScan.SkipValue(json, at);
            }
        }

        if (JsonScan.SkipWhitespace(json, at) != json.Length)
        {
            throw new FormatException("data after the postgres_changes payload");
        }

        if (!hasData)
        {
            throw new FormatException("postgres_changes payload without data");
        }
    }

    private static int ParseData(ReadOnlyMemory<byte> payload, int at, PostgresChangeFrame change, Utf8StringCache names)
    {
        var json = payload.Span;
        if (json[at] != (byte)'{')
        {
            throw new FormatException("data must be an object");
        }

        at++;
        string? schema = null, table = null;
        PostgresChangeType? type = null;
        DateTimeOffset commit = default;
        IReadOnlyList<string> errors = [];
        Span<byte> nameBuffer = stackalloc byte[MaxNameBytes];
        var first = true;
        while (NextMember(json, ref at, ref first, nameBuffer, out var key))
        {
            var member = DataMemberOf(key);
            switch (member)
            {
                case DataMember.Other:
                    at = JsonScan.SkipValue(json, at); // columns, and anything newer servers add
                    continue;
                case DataMember.Old:
                    var end = JsonScan.SkipValue(json, at);
                    change.Old.SetUnread(at, end - at);
                    at = end;
                    continue;
                case DataMember.Schema or DataMember.Table or DataMember.Type or DataMember.Commit when RawString(json, at, out var raw, out var after):
                    // Plain strings (the usual case) are taken as they lie; anything else goes to a reader below.
                    if (member == DataMember.Schema)
                    {
                        schema = names.Get(raw);
                    }
                    else if (member == DataMember.Table)
                    {
                        table = names.Get(raw);
                    }
                    else if (member == DataMember.Type)
                    {
                        type = ChangeTypeOf(raw);
                    }
                    else if (!IsoTimestamp.TryParse(raw, out commit))
                    {
                        break;
                    }

                    at = after;
                    continue;
                case DataMember.Errors when json[at..].StartsWith("null"u8):
                    at += 4;
                    continue;
            }

            var reader = ReaderAt(json, at);
            switch (member)
            {
                case DataMember.New:
                    ReadRow(ref reader, change.New, at);
                    break;
                case DataMember.Schema:
                    schema = ReadString(ref reader, names);
                    break;
                case DataMember.Table:
                    table = ReadString(ref reader, names);
                    break;
                case DataMember.Commit:
                    commit = ReadCommitTimestamp(ref reader);
                    break;
                case DataMember.Errors:
                    errors = ReadErrors(ref reader);
                    break;
                default:
                    type = ReadType(ref reader);
                    break;
            }

            at += (int)reader.BytesConsumed;
        }

        Complete(change, type, schema, table, commit, errors);
        return at;
    }

    /// <summary>An array of plain integers (the usual <c>ids</c>) read as it lies; false, with nothing added, for anything else.</summary>
    private static bool TryReadPlainIds(ReadOnlySpan<byte> json, ref int at, List<long> ids)
    {
        if (json[at] != (byte)'[')
        {
            return false;
        }

        var mark = ids.Count;
        var i = JsonScan.SkipWhitespace(json, at + 1);
        var expectId = false; // after a comma, a number must follow
        while (i < json.Length && (expectId || json[i] != (byte)']'))
        {
            if (!Utf8Parser.TryParse(json[i..], out long id, out var consumed))
            {
                break;
            }

            ids.Add(id);
            i = JsonScan.SkipWhitespace(json, i + consumed);
            expectId = i < json.Length && json[i] == (byte)',';
            if (expectId)
            {
                i = JsonScan.SkipWhitespace(json, i + 1);
            }
            else if (i >= json.Length || json[i] != (byte)']')
            {
                break;
            }
        }

        if (i >= json.Length || expectId || json[i] != (byte)']')
        {
            ids.RemoveRange(mark, ids.Count - mark); // not plain: the reader reads it (or reports it)
            return false;
        }

        at = i + 1;
        return true;
    }

    private enum DataMember
    {
        Other,
        New,
        Old,
        Schema,
        Table,
        Type,
        Commit,
        Errors,
    }

    private static DataMember DataMemberOf(ReadOnlySpan<byte> key) => key.Length switch
    {
        3 when key.SequenceEqual("new"u8) => DataMember.New,
        3 when key.SequenceEqual("old"u8) => DataMember.Old,
        4 when key.SequenceEqual("type"u8) => DataMember.Type,
        5 when key.SequenceEqual("table"u8) => DataMember.Table,
        6 when key.SequenceEqual("record"u8) => DataMember.New,
        6 when key.SequenceEqual("schema"u8) => DataMember.Schema,
        6 when key.SequenceEqual("errors"u8) => DataMember.Errors,
        9 when key.SequenceEqual("eventType"u8) => DataMember.Type,
        10 when key.SequenceEqual("old_record"u8) => DataMember.Old,
        16 when key.SequenceEqual("commit_timestamp"u8) => DataMember.Commit,
        _ => DataMember.Other,
    };

    /// <summary>The content of a string without escapes at <paramref name="at"/>, and the index after it.</summary>
    private static bool RawString(ReadOnlySpan<byte> json, int at, out ReadOnlySpan<byte> raw, out int after)
    {
        raw = default;
        after = at;
        if (json[at] != (byte)'"')
        {
            return false;
        }

        var end = JsonScan.SkipString(json, at, out var escaped);
        if (escaped)
        {
            return false;
        }

        raw = json[(at + 1)..(end - 1)];
        after = end;
        return true;
    }

    private static PostgresChangeType? ChangeTypeOf(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("INSERT"u8) ? PostgresChangeType.Insert
        : name.SequenceEqual("UPDATE"u8) ? PostgresChangeType.Update
        : name.SequenceEqual("DELETE"u8) ? PostgresChangeType.Delete
        : null;

    /// <summary>
    /// Moves to the next member of an object being walked: false at its closing brace (<paramref name="at"/> then
    /// past it); otherwise the member's name (unescaped into <paramref name="buffer"/> if it has escapes; empty
    /// if longer than any name the SDK reads), with <paramref name="at"/> at its value.
    /// </summary>
    private static bool NextMember(ReadOnlySpan<byte> json, ref int at, ref bool first, Span<byte> buffer, out ReadOnlySpan<byte> name)
    {
        name = default;
        at = JsonScan.SkipWhitespace(json, at);
        if (at < json.Length && json[at] == (byte)'}')
        {
            at++;
            return false;
        }

        if (!first)
        {
            at = JsonScan.Expect(json, at, (byte)',');
            at = JsonScan.SkipWhitespace(json, at);
        }

        first = false;
        if (at >= json.Length || json[at] != (byte)'"')
        {
            throw new FormatException($"expected a member name at byte {at}");
        }

        var end = JsonScan.SkipString(json, at, out var escaped);
        if (!escaped)
        {
            name = json[(at + 1)..(end - 1)];
        }
        else if (end - at - 2 <= buffer.Length)
        {
            // Unescaped, a name is never longer than as written.
            var reader = new Utf8JsonReader(json[at..end], Options);
            reader.Read();
            name = buffer[..reader.CopyString(buffer)];
        }

        at = JsonScan.SkipWhitespace(json, JsonScan.Expect(json, end, (byte)':'));
        if (at >= json.Length)
        {
            throw new FormatException("a member without a value");
        }

        return true;
    }

    /// <summary>A reader for the one value that starts at <paramref name="at"/> (its positions are relative to it).</summary>
    private static Utf8JsonReader ReaderAt(ReadOnlySpan<byte> json, int at) => new(json[at..], Options);

    private static void ReadIds(ref Utf8JsonReader reader, List<long> ids)
    {
        if (Read(ref reader) != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (Read(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var id))
            {
                ids.Add(id);
            }
            else if (reader.TokenType == JsonTokenType.String && Utf8Parser.TryParse(reader.ValueSpan, out long sid, out _))
            {
                ids.Add(sid);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void Complete(PostgresChangeFrame change, PostgresChangeType? type, string? schema, string? table, DateTimeOffset commit, IReadOnlyList<string> errors)
    {
        if (type is null || schema is null || table is null)
        {
            throw new FormatException("postgres_changes data needs type, schema and table");
        }

        change.Type = type.Value;
        change.Schema = schema;
        change.Table = table;
        change.CommitTimestamp = commit;
        change.Errors = errors;
    }

    private static PostgresChangeType? ReadType(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        return ChangeTypeOf(reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan);
    }

    private static DateTimeOffset ReadCommitTimestamp(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return default;
        }

        if (reader.TryGetDateTimeOffset(out var commit))
        {
            return commit;
        }

        _ = DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out commit);
        return commit;
    }
}
