using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The outcome of a push: the server's <c>phx_reply</c> (status ok/error) or a local timeout/cancel.</summary>
internal readonly record struct PushReply(string Status, JsonElement Response)
{
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Timeout = "timeout";
    public const string Canceled = "canceled";

    public static PushReply TimedOut => new(Timeout, default);

    public static PushReply Cancelled => new(Canceled, default);

    public bool IsOk => Status == Ok;

    /// <summary>The <c>reason</c> (or <c>message</c>) of an error reply, or the status.</summary>
    public string Reason
    {
        get
        {
            if (Response.ValueKind == JsonValueKind.Object)
            {
                if (Response.TryGetProperty("reason"u8, out var reason) && reason.ValueKind == JsonValueKind.String)
                {
                    return reason.GetString()!;
                }

                if (Response.TryGetProperty("message"u8, out var message) && message.ValueKind == JsonValueKind.String)
                {
                    return message.GetString()!;
                }
            }

            return Response.ValueKind == JsonValueKind.String ? Response.GetString()! : Status;
        }
    }
}
