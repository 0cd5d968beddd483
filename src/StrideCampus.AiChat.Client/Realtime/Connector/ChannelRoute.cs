namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// The channel the last frame's topic led to, and how many channels had been removed when it was looked up
/// (the receive loop checks it before the channel map; any removal since makes it stale).
/// </summary>
internal sealed record ChannelRoute(string Topic, IRoutedChannel Channel, long Removals);
