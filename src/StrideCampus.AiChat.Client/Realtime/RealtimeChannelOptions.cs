namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Settings of a <see cref="RealtimeChannel"/> (the join's <c>config</c>).</summary>
public sealed class RealtimeChannelOptions
{
    /// <summary>Receive one's own broadcasts (<c>config.broadcast.self</c>).</summary>
    public bool BroadcastSelf { get; set; }

    /// <summary>Ask the server to acknowledge broadcasts (<c>config.broadcast.ack</c>); <see cref="RealtimeChannel.SendBroadcastAsync"/> then waits for the ack.</summary>
    public bool BroadcastAck { get; set; }

    /// <summary>The presence key of this client (<c>config.presence.key</c>); empty lets the server pick one.</summary>
    public string PresenceKey { get; set; } = "";

    /// <summary>Enable presence (<c>config.presence.enabled</c>); also enabled automatically when <see cref="RealtimeChannel.Presence"/> is observed or <see cref="RealtimeChannel.TrackAsync"/> is called before the join.</summary>
    public bool PresenceEnabled { get; set; }

    /// <summary>A private channel (<c>config.private</c>), authorised by Realtime's RLS policies.</summary>
    public bool Private { get; set; }
}
