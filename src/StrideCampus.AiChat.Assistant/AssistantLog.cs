using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Assistant;

/// <summary>Log events of the assistant worker (ids 6200-6299). Never logs content, keys or tokens.</summary>
internal static partial class AssistantLog
{
    [LoggerMessage(EventId = 6200, EventName = "WorkerStarted", Level = LogLevel.Information,
        Message = "Assistant worker {WorkerId} started (lease {Lease}, poll {Poll}, up to {Max} replies at once)")]
    public static partial void WorkerStarted(ILogger logger, string workerId, TimeSpan lease, TimeSpan poll, int max);

    [LoggerMessage(EventId = 6201, EventName = "ReplyClaimed", Level = LogLevel.Debug,
        Message = "Claimed reply {MessageId} (request {RequestId}, attempt {Attempt})")]
    public static partial void ReplyClaimed(ILogger logger, Guid messageId, Guid requestId, int attempt);

    [LoggerMessage(EventId = 6202, EventName = "ReplyFinished", Level = LogLevel.Debug,
        Message = "Reply {MessageId} ended {Status} ({Length} characters, {Writes} writes)")]
    public static partial void ReplyFinished(ILogger logger, Guid messageId, string status, int length, int writes);

    [LoggerMessage(EventId = 6203, EventName = "ReplyLost", Level = LogLevel.Information,
        Message = "Reply {MessageId} left unfinished: {Why}")]
    public static partial void ReplyLost(ILogger logger, Guid messageId, string why);

    [LoggerMessage(EventId = 6204, EventName = "ModelFailed", Level = LogLevel.Warning,
        Message = "The model failed while generating reply {MessageId}; it ends with status error")]
    public static partial void ModelFailed(ILogger logger, Guid messageId, Exception exception);

    [LoggerMessage(EventId = 6205, EventName = "DatabaseCallFailed", Level = LogLevel.Warning,
        Message = "Assistant worker: {Call} failed; retrying at the next poll")]
    public static partial void DatabaseCallFailed(ILogger logger, string call, Exception exception);

    [LoggerMessage(EventId = 6206, EventName = "WorkerStopped", Level = LogLevel.Information,
        Message = "Assistant worker {WorkerId} stopped; {Open} unfinished replies go to another worker when their leases end")]
    public static partial void WorkerStopped(ILogger logger, string workerId, int open);
}
