namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Which database changes a binding listens to.</summary>
public enum PostgresChangeEventFilter
{
    /// <summary>Every change (<c>*</c>).</summary>
    All,

    /// <summary>Inserts only.</summary>
    Insert,

    /// <summary>Updates only.</summary>
    Update,

    /// <summary>Deletes only.</summary>
    Delete,
}
