using System.Runtime.CompilerServices;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// The realtime clients whose project refused a public channel with <c>PrivateOnly:</c> (the dashboard's "private
/// channels only"): later chat feeds on them join as private channels at once instead of being refused first.
/// </summary>
internal static class PrivateOnlyProjects
{
    private static readonly ConditionalWeakTable<RealtimeClient, object> Known = [];

    public static bool IsKnown(RealtimeClient client) => Known.TryGetValue(client, out _);

    public static void Remember(RealtimeClient client) => Known.AddOrUpdate(client, Known);
}
