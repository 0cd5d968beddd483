using System.Globalization;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Where a keyset page continues: the (created_at, id) of the oldest row already held. The next page holds the
/// rows strictly older, in the order the database sorts them (created_at, then the uuid's bytes), so rows
/// written meanwhile can neither shift a row out of the pages nor repeat one.
/// </summary>
internal readonly record struct ChatPageKey(DateTimeOffset CreatedAt, Guid Id)
{
    public static ChatPageKey Of(ChatSession session) => new(session.CreatedAt, session.Id);

    public static ChatPageKey Of(ChatMessage message) => new(message.CreatedAt, message.Id);

    /// <summary>The PostgREST condition "older than this key" (for <c>or=(...)</c>); UTC with microseconds, no '+' to escape.</summary>
    public string OlderThanExpression()
    {
        var at = CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        var id = Id.ToString("D", CultureInfo.InvariantCulture);
        return $"created_at.lt.{at},and(created_at.eq.{at},id.lt.{id})";
    }

    /// <summary>Whether a row with this (created_at, id) sorts before <paramref name="other"/> (older).</summary>
    public bool IsOlderThan(ChatPageKey other)
    {
        var c = CreatedAt.CompareTo(other.CreatedAt);
        return c != 0 ? c < 0 : ChatRowComparer.CompareUuid(Id, other.Id) < 0;
    }
}
