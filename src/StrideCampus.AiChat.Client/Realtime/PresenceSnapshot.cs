namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The presence state of a channel after a <c>presence_state</c> or <c>presence_diff</c>.</summary>
/// <param name="State">Each presence key with its presences.</param>
/// <param name="Joins">The presences that joined in this change.</param>
/// <param name="Leaves">The presences that left in this change.</param>
public sealed record PresenceSnapshot(
    IReadOnlyDictionary<string, IReadOnlyList<PresenceEntry>> State,
    IReadOnlyDictionary<string, IReadOnlyList<PresenceEntry>> Joins,
    IReadOnlyDictionary<string, IReadOnlyList<PresenceEntry>> Leaves);
