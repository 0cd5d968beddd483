namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// What the RLS policies on <c>realtime.messages</c> allow one user on one private topic, as Realtime
/// Authorization computes it; <c>null</c> means not checked yet (write is checked on first use).
/// </summary>
internal sealed record ChannelPolicies(bool? BroadcastRead, bool? PresenceRead, bool? BroadcastWrite, bool? PresenceWrite)
{
    public static ChannelPolicies Unchecked { get; } = new(null, null, null, null);

    /// <summary>A join is allowed when either extension may be read.</summary>
    public bool CanJoin => BroadcastRead == true || PresenceRead == true;
}
