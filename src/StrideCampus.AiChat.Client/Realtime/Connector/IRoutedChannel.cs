using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// What the connector needs of a channel: its topic to route frames by, and the socket events it forwards. The
/// connector knows channels only through this; channels call the connector, never the public client.
/// </summary>
internal interface IRoutedChannel
{
    string Topic { get; }

    /// <summary>Handles one frame of this topic, on the receive loop; the scratch objects are the loop's and valid only during the call.</summary>
    void HandleFrame(in IncomingFrame frame, Utf8StringCache names, List<long> ids, PostgresChangeFrame change);

    void OnSocketOpen();

    void OnSocketDown(DisconnectionInfo reason);

    void PushAccessToken(string token, long version);

    ValueTask DisposeAsync();
}
