namespace StrideCampus.AiChat.Client.Chat;

/// <summary>What one <see cref="StoreEvent"/> did to the store's state.</summary>
/// <param name="Applied">
/// Whether the event changed what the store mirrors of the server (false: an echo, a stale or duplicate event, a row not
/// held, or a pending message whose session's messages are not held).
/// </param>
/// <param name="Changes">The changes to publish, in order (a pending value alone publishes none: it shows in the state).</param>
/// <param name="Evicted">How many sessions' messages a <see cref="StoreEvent.CacheTrimmed"/> dropped.</param>
internal readonly record struct StoreChanges(bool Applied, IReadOnlyList<ChatChange> Changes, int Evicted = 0);
