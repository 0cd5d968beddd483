namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Settings of the realtime service (read when a socket opens).</summary>
internal sealed class RealtimeOptions(TimeSpan heartbeatTimeout)
{
    /// <summary>A socket that sends nothing for this long is closed.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = heartbeatTimeout;
}
