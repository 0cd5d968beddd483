namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>What a "Subscribed to PostgreSQL" means for the current join.</summary>
internal enum ConfirmationOutcome
{
    /// <summary>No join waits for it and none was confirmed (a stray message): ignored.</summary>
    None,

    /// <summary>The join's first confirmation: changes flow from now on.</summary>
    First,

    /// <summary>A later one on the same join: the server subscribed again, and changes may have been missed meanwhile.</summary>
    Again,
}
