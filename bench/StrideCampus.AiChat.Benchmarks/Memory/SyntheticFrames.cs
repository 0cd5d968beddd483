using System.Globalization;
using System.Text;
using StrideCampus.AiChat.Benchmarks.Infrastructure;

namespace StrideCampus.AiChat.Benchmarks.Memory;

/// <summary>
/// Writes postgres_changes frames in the shape LocalStack sends (serializer 2.0.0, the same fields and escapes as
/// the decode recording) into one reused buffer, with a monotonic synthetic clock for created_at/updated_at.
/// </summary>
internal sealed class SyntheticFrames(string topic, Guid user, BindingIds ids)
{
    private const string MessageColumns =
        """[{"name":"id","type":"uuid"},{"name":"session_id","type":"uuid"},{"name":"user_id","type":"uuid"},{"name":"content","type":"text"},{"name":"is_user","type":"bool"},{"name":"status","type":"text"},{"name":"created_at","type":"timestamptz"},{"name":"updated_at","type":"timestamptz"},{"name":"metadata","type":"jsonb"}]""";

    private const string SessionColumns =
        """[{"name":"id","type":"uuid"},{"name":"user_id","type":"uuid"},{"name":"title","type":"text"},{"name":"is_active","type":"bool"},{"name":"created_at","type":"timestamptz"},{"name":"updated_at","type":"timestamptz"}]""";

    private static readonly DateTimeOffset Epoch = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    private readonly StringBuilder _text = new(2048);
    private readonly string _user = user.ToString("D", CultureInfo.InvariantCulture);
    private byte[] _bytes = new byte[4096];
    private long _ticks;

    /// <summary>The next instant of the synthetic clock (one microsecond per call).</summary>
    public string Now() => Epoch.AddTicks(++_ticks * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "\\u002B00:00";

    public ReadOnlyMemory<byte> SessionInsert(Guid id, string title, string at) =>
        Frame("ai_chat_sessions", ids.Sessions, "INSERT", SessionColumns,
            $$"""{"id":"{{id}}","user_id":"{{_user}}","title":"{{title}}","is_active":false,"created_at":"{{at}}","updated_at":"{{at}}"}""", null);

    public ReadOnlyMemory<byte> SessionDelete(Guid id) =>
        Frame("ai_chat_sessions", ids.Sessions, "DELETE", SessionColumns, null, $$"""{"id":"{{id}}"}""");

    public ReadOnlyMemory<byte> MessageInsert(Guid id, Guid session, string content, string createdAt) =>
        Frame("ai_chat_messages", ids.Messages, "INSERT", MessageColumns, MessageRow(id, session, content, createdAt, createdAt), null);

    public ReadOnlyMemory<byte> MessageUpdate(Guid id, Guid session, string content, string oldContent, string createdAt, string oldUpdatedAt, string updatedAt) =>
        Frame("ai_chat_messages", ids.Messages, "UPDATE", MessageColumns,
            MessageRow(id, session, content, createdAt, updatedAt), MessageRow(id, session, oldContent, createdAt, oldUpdatedAt));

    public ReadOnlyMemory<byte> MessageDelete(Guid id) =>
        Frame("ai_chat_messages", ids.Messages, "DELETE", MessageColumns, null, $$"""{"id":"{{id}}"}""");

    private string MessageRow(Guid id, Guid session, string content, string createdAt, string updatedAt) =>
        $$$"""{"id":"{{{id}}}","session_id":"{{{session}}}","user_id":"{{{_user}}}","content":"{{{content}}}","is_user":false,"status":"streaming","created_at":"{{{createdAt}}}","updated_at":"{{{updatedAt}}}","metadata":{}}""";

    private ReadOnlyMemory<byte> Frame(string table, long bindingId, string type, string columns, string? record, string? oldRecord)
    {
        var b = _text.Clear();
        b.Append("[null,null,\"").Append(topic).Append("\",\"postgres_changes\",{\"ids\":[").Append(bindingId.ToString(CultureInfo.InvariantCulture))
            .Append("],\"data\":{\"schema\":\"public\",\"table\":\"").Append(table).Append("\",\"commit_timestamp\":\"").Append(Now())
            .Append("\",\"type\":\"").Append(type).Append("\",\"columns\":").Append(columns);
        if (record is not null)
        {
            b.Append(",\"record\":").Append(record);
        }

        if (oldRecord is not null)
        {
            b.Append(",\"old_record\":").Append(oldRecord);
        }

        b.Append(",\"errors\":null}}]");
        var length = Encoding.UTF8.GetMaxByteCount(b.Length);
        if (_bytes.Length < length)
        {
            _bytes = new byte[length * 2];
        }

        var written = 0;
        foreach (var chunk in b.GetChunks())
        {
            written += Encoding.UTF8.GetBytes(chunk.Span, _bytes.AsSpan(written));
        }

        return _bytes.AsMemory(0, written);
    }
}
