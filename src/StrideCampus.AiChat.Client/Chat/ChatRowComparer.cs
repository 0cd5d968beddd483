using System.Text.Json.Nodes;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Orders and compares chat rows the way the database does.</summary>
internal static class ChatRowComparer
{
    /// <summary>Messages in chronological order: <c>order by created_at, id</c>.</summary>
    public static IComparer<ChatMessage> MessageOrder { get; } = Comparer<ChatMessage>.Create(CompareMessages);

    public static int CompareMessages(ChatMessage? x, ChatMessage? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var c = x.CreatedAt.CompareTo(y.CreatedAt);
        return c != 0 ? c : x.Id == y.Id ? 0 : CompareUuid(x.Id, y.Id);
    }

    /// <summary>Compares two uuids as PostgreSQL does (byte by byte, big-endian), not as <see cref="Guid.CompareTo(Guid)"/>.</summary>
    public static int CompareUuid(Guid x, Guid y)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        x.TryWriteBytes(a, bigEndian: true, out _);
        y.TryWriteBytes(b, bigEndian: true, out _);
        return a.SequenceCompareTo(b);
    }

    /// <summary>Equal in every column except <c>updated_at</c>.</summary>
    public static bool SameContent(ChatSession a, ChatSession b) =>
        a.Id == b.Id && a.UserId == b.UserId && a.IsActive == b.IsActive && a.CreatedAt == b.CreatedAt &&
        string.Equals(a.Title, b.Title, StringComparison.Ordinal);

    /// <summary>Equal in every column except <c>updated_at</c>.</summary>
    public static bool SameContent(ChatMessage a, ChatMessage b) =>
        a.Id == b.Id && a.SessionId == b.SessionId && a.UserId == b.UserId && a.IsUser == b.IsUser &&
        a.Status == b.Status && a.CreatedAt == b.CreatedAt &&
        string.Equals(a.Content, b.Content, StringComparison.Ordinal) && SameMetadata(a.Metadata, b.Metadata);

    private static bool SameMetadata(JsonObject? a, JsonObject? b)
    {
        if (a is null || a.Count == 0)
        {
            return b is null || b.Count == 0;
        }

        return b is not null && JsonNode.DeepEquals(a, b);
    }
}
