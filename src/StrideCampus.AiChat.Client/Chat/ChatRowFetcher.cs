using System.Globalization;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Reads one chat row by id through PostgREST (as the user, so RLS applies): how a change that arrived without its
/// long values (Supabase's <c>Error 413: Payload Too Large</c>) is completed, one row and no full refetch.
/// </summary>
internal sealed class ChatRowFetcher(PostgrestClient rest)
{
    /// <summary>The row as the change it completes, or null when the row is gone or not visible.</summary>
    public async Task<ChatChange?> FetchAsync(bool isSession, Guid id, bool insert, CancellationToken cancellationToken)
    {
        var key = id.ToString("D", CultureInfo.InvariantCulture);
        if (isSession)
        {
            var sessions = await rest.From(PostgrestChatDataSource.SessionsTable, ChatJsonContext.Default.ChatSession)
                .Eq("id", key).GetAsync(cancellationToken).ConfigureAwait(false);
            return sessions.Count == 0 ? null : insert ? ChatChange.Created(sessions[0]) : ChatChange.Updated(sessions[0]);
        }

        var messages = await rest.From(PostgrestChatDataSource.MessagesTable, ChatJsonContext.Default.ChatMessage)
            .Eq("id", key).GetAsync(cancellationToken).ConfigureAwait(false);
        return messages.Count == 0 ? null : insert ? ChatChange.Created(messages[0]) : ChatChange.Updated(messages[0]);
    }
}
