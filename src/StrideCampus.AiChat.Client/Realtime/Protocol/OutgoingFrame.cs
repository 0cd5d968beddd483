namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>An encoded frame waiting in the send queue.</summary>
/// <param name="Data">The frame bytes.</param>
/// <param name="Binary">A binary frame (otherwise text).</param>
/// <param name="Topic">The topic (for logs).</param>
/// <param name="Event">The event (for logs).</param>
/// <param name="IsCurrent">Checked just before sending: a frame that went stale (a join superseded, a heartbeat of an old socket) is dropped.</param>
internal sealed record OutgoingFrame(byte[] Data, bool Binary, string Topic, string Event, Func<bool>? IsCurrent = null);
