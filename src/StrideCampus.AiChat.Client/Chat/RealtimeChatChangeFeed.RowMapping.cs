using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Row mapping: a postgres_changes frame of the chat tables or of the deletion log to a <see cref="ChatChange"/> (pure).</summary>
internal sealed partial class RealtimeChatChangeFeed
{
    /// <summary>Maps an insert into the deletion log to the delete of the session or message it records.</summary>
    internal static ChatChange? MapDeletion(PostgresChangeFrame f)
    {
        if (!string.Equals(f.Table, PostgrestChatDataSource.DeletionsTable, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a change of table '{f.Table}' arrived on the {PostgrestChatDataSource.DeletionsTable} subscription");
        }

        if (f.Type != PostgresChangeType.Insert || f.Errors.Count > 0 || !f.New.IsPresent || !f.New.IsObject ||
            !f.New.TryFind("row_id"u8, out var rowColumn) || !f.New.TryGetGuid(rowColumn, out var rowId) ||
            !f.New.TryFind("table_name"u8, out var tableColumn))
        {
            return null;
        }

        Guid? sessionId = f.New.TryFind("session_id"u8, out var sessionColumn) && f.New.TryGetGuid(sessionColumn, out var sid) ? sid : null;
        return f.New.GetString(tableColumn) switch
        {
            PostgrestChatDataSource.SessionsTable => ChatChange.SessionRemoved(rowId) with { LoggedSessionId = sessionId ?? rowId },
            PostgrestChatDataSource.MessagesTable => ChatChange.MessageRemoved(rowId) with { LoggedSessionId = sessionId },
            var other => throw new InvalidOperationException($"the deletion log names an unknown table '{other}'"),
        };
    }

    /// <summary>Maps a change as parsed in place (the receive loop's path).</summary>
    internal static ChatChange? Map(PostgresChangeFrame f, bool isSession)
    {
        CheckTable(f.Table, isSession);
        switch (f.Type)
        {
            case PostgresChangeType.Insert or PostgresChangeType.Update:
                // With errors (Supabase's "Error 413: Payload Too Large"), the record lacks every long value: not a row.
                if (f.Errors.Count > 0 || !f.New.IsPresent || !f.New.IsObject)
                {
                    return null;
                }

                var insert = f.Type == PostgresChangeType.Insert;
                if (isSession)
                {
                    return SessionChange(JsonSerializer.Deserialize(f.New.Utf8, ChatJsonContext.Default.ChatSession), insert);
                }

                if (!ChatMessageReader.TryRead(f.New, out var message))
                {
                    message = JsonSerializer.Deserialize(f.New.Utf8, ChatJsonContext.Default.ChatMessage);
                }

                return MessageChange(message, insert);
            case PostgresChangeType.Delete:
                if (!f.Old.IsPresent || !f.Old.IsObject || !f.Old.TryFind("id"u8, out var idColumn) || !f.Old.TryGetGuid(idColumn, out var id))
                {
                    return null;
                }

                return isSession ? ChatChange.SessionRemoved(id) : ChatChange.MessageRemoved(id);
            default:
                return null;
        }
    }

    /// <summary>Maps a self-contained event (one built by hand, or copied out of a frame) the way a frame is mapped.</summary>
    internal static ChatChange? Map(PostgresChangeEvent e, bool isSession) => Map(ToFrame(e), isSession);

    /// <summary>Maps a self-contained deletion log event the way a frame is mapped.</summary>
    internal static ChatChange? MapDeletion(PostgresChangeEvent e) => MapDeletion(ToFrame(e));

    private static PostgresChangeFrame ToFrame(PostgresChangeEvent e)
    {
        var frame = new PostgresChangeFrame { Type = e.Type, Schema = e.Schema, Table = e.Table, CommitTimestamp = e.CommitTimestamp, Errors = e.Errors };
        Locate(e.New, frame.New);
        Locate(e.Old, frame.Old);
        return frame;

        static void Locate(JsonElement? image, RowColumns row)
        {
            if (image is { ValueKind: not JsonValueKind.Undefined } value)
            {
                PostgresChangeParser.ReadRowImage(System.Text.Encoding.UTF8.GetBytes(value.GetRawText()), row);
            }
        }
    }

    private static void CheckTable(string table, bool isSession)
    {
        // A change routed to the wrong binding (a hostile or buggy server) must not be read as the other table's row.
        var expected = isSession ? PostgrestChatDataSource.SessionsTable : PostgrestChatDataSource.MessagesTable;
        if (!string.Equals(table, expected, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a change of table '{table}' arrived on the {expected} subscription");
        }
    }

    private static ChatChange? SessionChange(ChatSession? session, bool insert)
    {
        if (session is null || session.Title is null)
        {
            return null;
        }

        if (session.Id == Guid.Empty || session.UserId == Guid.Empty)
        {
            throw new InvalidOperationException("the session row lacks its id or user_id");
        }

        return insert ? ChatChange.Created(session) : ChatChange.Updated(session);
    }

    private static ChatChange? MessageChange(ChatMessage? message, bool insert)
    {
        if (message is null || message.Content is null)
        {
            return null;
        }

        if (message.Id == Guid.Empty || message.SessionId == Guid.Empty)
        {
            throw new InvalidOperationException("the message row lacks its id or session_id");
        }

        return insert ? ChatChange.Created(message) : ChatChange.Updated(message);
    }
}
