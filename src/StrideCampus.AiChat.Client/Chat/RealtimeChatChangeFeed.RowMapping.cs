using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Rows;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Row mapping: a change of the chat tables or of the deletion log, read in place, to a <see cref="ChatChange"/> (pure).</summary>
internal sealed partial class RealtimeChatChangeFeed
{
    /// <summary>Maps an insert into the deletion log to the delete of the session or message it records.</summary>
    internal static ChatChange? MapDeletion(RowChange f)
    {
        if (!string.Equals(f.Table, PostgrestChatDataSource.DeletionsTable, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a change of table '{f.Table}' arrived on the {PostgrestChatDataSource.DeletionsTable} subscription");
        }

        var row = f.New;
        if (f.Type != PostgresChangeType.Insert || f.Errors.Count > 0 || !row.IsPresent || !row.IsObject ||
            !row.TryGetGuid("row_id"u8, out var rowId) || !row.TryFind("table_name"u8, out var tableColumn))
        {
            return null;
        }

        Guid? sessionId = row.TryGetGuid("session_id"u8, out var sid) ? sid : null;
        return tableColumn.GetString() switch
        {
            PostgrestChatDataSource.SessionsTable => ChatChange.SessionRemoved(rowId) with { LoggedSessionId = sessionId ?? rowId },
            PostgrestChatDataSource.MessagesTable => ChatChange.MessageRemoved(rowId) with { LoggedSessionId = sessionId },
            var other => throw new InvalidOperationException($"the deletion log names an unknown table '{other}'"),
        };
    }

    /// <summary>Maps a change as read in place (the receive loop's path).</summary>
    internal static ChatChange? Map(RowChange f, bool isSession)
    {
        CheckTable(f.Table, isSession);
        switch (f.Type)
        {
            case PostgresChangeType.Insert or PostgresChangeType.Update:
                // With errors (Supabase's "Error 413: Payload Too Large"), the record lacks every long value: not a row.
                var row = f.New;
                if (f.Errors.Count > 0 || !row.IsPresent || !row.IsObject)
                {
                    return null;
                }

                var insert = f.Type == PostgresChangeType.Insert;
                if (isSession)
                {
                    return SessionChange(JsonSerializer.Deserialize(row.Utf8, ChatJsonContext.Default.ChatSession), insert);
                }

                if (!ChatMessageReader.Instance.TryDecode(row, out var message))
                {
                    message = JsonSerializer.Deserialize(row.Utf8, ChatJsonContext.Default.ChatMessage);
                }

                return MessageChange(message, insert);
            case PostgresChangeType.Delete:
                var old = f.Old;
                if (!old.IsPresent || !old.IsObject || !old.TryGetGuid("id"u8, out var id))
                {
                    return null;
                }

                return isSession ? ChatChange.SessionRemoved(id) : ChatChange.MessageRemoved(id);
            default:
                return null;
        }
    }

    /// <summary>Maps a self-contained event (one built by hand, or copied out of a frame) the way a frame is mapped.</summary>
    internal static ChatChange? Map(PostgresChangeEvent e, bool isSession) => Map(RowChange.From(e), isSession);

    /// <summary>Maps a self-contained deletion log event the way a frame is mapped.</summary>
    internal static ChatChange? MapDeletion(PostgresChangeEvent e) => MapDeletion(RowChange.From(e));

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
