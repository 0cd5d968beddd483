namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A row of <c>ai_chat_deletions</c>: a session, or a message deleted on its own, that its owner's clients must drop.</summary>
internal sealed record ChatDeletion(long Id, string TableName, Guid RowId, Guid SessionId)
{
    public bool IsSession => string.Equals(TableName, PostgrestChatDataSource.SessionsTable, StringComparison.Ordinal);
}
