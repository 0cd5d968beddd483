namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The kind of a database change.</summary>
public enum PostgresChangeType
{
    /// <summary>A row was inserted.</summary>
    Insert,

    /// <summary>A row was updated.</summary>
    Update,

    /// <summary>A row was deleted.</summary>
    Delete,
}
