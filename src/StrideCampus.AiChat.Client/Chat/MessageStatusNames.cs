namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The database spelling of <see cref="MessageStatus"/> values.</summary>
internal static class MessageStatusNames
{
    public static string ToWire(MessageStatus status) => status switch
    {
        MessageStatus.Pending => "pending",
        MessageStatus.Streaming => "streaming",
        MessageStatus.Complete => "complete",
        MessageStatus.Error => "error",
        MessageStatus.Stopped => "stopped",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown message status."),
    };

    /// <summary>The status a database spelling (UTF-8, exact case) names; false for anything else.</summary>
    public static bool TryFromWire(ReadOnlySpan<byte> utf8, out MessageStatus status)
    {
        status = utf8.SequenceEqual("complete"u8) ? MessageStatus.Complete
            : utf8.SequenceEqual("streaming"u8) ? MessageStatus.Streaming
            : utf8.SequenceEqual("pending"u8) ? MessageStatus.Pending
            : utf8.SequenceEqual("error"u8) ? MessageStatus.Error
            : utf8.SequenceEqual("stopped"u8) ? MessageStatus.Stopped
            : (MessageStatus)(-1);
        return status != (MessageStatus)(-1);
    }
}
