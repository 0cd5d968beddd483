using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>How a push ended: the server's <c>phx_reply</c> status, or a local timeout or cancel.</summary>
internal enum PushStatus
{
    Ok,
    Error,
    Timeout,
    Cancelled,
}

/// <summary>The outcome of a push: the server's <c>phx_reply</c> (status ok/error) or a local timeout/cancel.</summary>
internal readonly record struct PushReply(PushStatus Status, JsonElement Response)
{
    public static PushReply TimedOut => new(PushStatus.Timeout, default);

    public static PushReply Cancelled => new(PushStatus.Cancelled, default);

    public static PushReply Failed => new(PushStatus.Error, default);

    public static PushReply Succeeded => new(PushStatus.Ok, default);

    public bool IsOk => Status == PushStatus.Ok;

    /// <summary>Maps the wire status: only <c>"ok"</c> is a success; anything else (or none) is an error.</summary>
    public static PushReply FromWire(string status, JsonElement response) =>
        new(status == "ok" ? PushStatus.Ok : PushStatus.Error, response);

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

            return Response.ValueKind == JsonValueKind.String
                ? Response.GetString()!
                : Status switch
                {
                    PushStatus.Ok => "ok",
                    PushStatus.Timeout => "timeout",
                    PushStatus.Cancelled => "canceled",
                    _ => "error",
                };
        }
    }
}
