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
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown message status."),
    };
}
