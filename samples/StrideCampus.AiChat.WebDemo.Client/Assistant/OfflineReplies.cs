namespace StrideCampus.AiChat.WebDemo.Client.Assistant;

/// <summary>The offline responder's canned replies (the browser tests link this file to know the exact text).</summary>
internal static class OfflineReplies
{
    public const string Label = "[offline demo responder]";

    private static readonly string[] Replies =
    [
        "Realtime sync means every open tab of yours sees this reply grow, word by word, as it is written.",
        "Each word lands in this tab's store at once; the database sees a coalesced write a few times a second, and your other tabs follow through Supabase Realtime.",
        "Switch the active session in one tab and watch the other follow: the switch is one database transaction, so every tab agrees on exactly one active session.",
    ];

    /// <summary>The reply to the user's <paramref name="turn"/>-th message of a session (1-based).</summary>
    public static string For(int turn) => Label + " " + Replies[Math.Max(0, turn - 1) % Replies.Length];
}
