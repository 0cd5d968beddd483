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

    /// <summary>
    /// Join as a private channel (<c>config.private: true</c>); <c>false</c> (the default) joins a public one.
    /// Supabase Realtime then asks the project's RLS policies on <c>realtime.messages</c>, as the signed-in user with
    /// <c>realtime.topic()</c> set to the channel name, whether the user may receive (select) and send (insert)
    /// broadcasts and presence on this topic. Without read permission the join is refused: <see cref="RealtimeChannel.SubscribeAsync"/>
    /// throws a <see cref="RealtimeException"/> whose message carries the server's reason ("Unauthorized: You do not have
    /// permissions to read from this Channel topic: ...") and the channel does not rejoin by itself. Without write
    /// permission the server drops what the channel sends. A private channel never shares broadcasts or presence with a
    /// public channel of the same name.
    /// </summary>
    public bool Private { get; set; }
}
