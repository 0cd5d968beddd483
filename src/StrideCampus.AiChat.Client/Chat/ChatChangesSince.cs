namespace StrideCampus.AiChat.Client.Chat;

/// <summary>What a resync fetched: the rows written and the deletions logged at or after a sync point.</summary>
internal sealed record ChatChangesSince(
    IReadOnlyList<ChatSession> Sessions,
    IReadOnlyList<ChatMessage> Messages,
    IReadOnlyList<ChatDeletion> Deletions)
{
    public int Count => Sessions.Count + Messages.Count + Deletions.Count;
}
