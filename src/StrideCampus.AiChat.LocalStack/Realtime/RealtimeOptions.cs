namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Settings of the realtime service.</summary>
internal sealed record RealtimeOptions(TimeSpan HeartbeatTimeout);
