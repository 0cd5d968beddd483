using System.Reactive.Linq;
using System.Text.Json;
using Moq;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

/// <summary>An app can unit-test its own code against mocked realtime façades (STYLE.md §5), with no socket.</summary>
public class MockableFacadeTests
{
    /// <summary>What an app might write: join a room, greet, and report whether the room is live.</summary>
    private sealed class RoomGreeter(RealtimeClient client)
    {
        public async Task<bool> EnterAsync(string room, CancellationToken cancellationToken = default)
        {
            var channel = client.Channel(room);
            await channel.SubscribeAsync(cancellationToken);
            using var document = JsonDocument.Parse("{\"text\":\"hi\"}");
            await channel.SendBroadcastAsync("greeting", document.RootElement.Clone(), cancellationToken);
            return channel.State == ChannelState.Joined;
        }
    }

    [Fact]
    public async Task A_mocked_client_and_channel_drive_app_code()
    {
        var channel = new Mock<RealtimeChannel>();
        channel.Setup(c => c.SubscribeAsync(It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        channel.Setup(c => c.SendBroadcastAsync("greeting", It.IsAny<JsonElement>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        channel.SetupGet(c => c.State).Returns(ChannelState.Joined);
        var client = new Mock<RealtimeClient>();
        client.Setup(c => c.Channel("lobby", null)).Returns(channel.Object);

        var live = await new RoomGreeter(client.Object).EnterAsync("lobby");

        Assert.True(live);
        channel.Verify(c => c.SubscribeAsync(It.IsAny<CancellationToken>()), Times.Once);
        channel.Verify(
            c => c.SendBroadcastAsync("greeting", It.Is<JsonElement>(e => e.GetProperty("text").GetString() == "hi"), It.IsAny<CancellationToken>()),
            Times.Once);
    }

    [Fact]
    public async Task A_mocked_client_reports_connection_states_and_failures()
    {
        var client = new Mock<RealtimeClient>();
        var down = new ConnectionStateChange(ConnectionState.Disconnected, "heartbeat timeout")
        {
            Disconnection = new DisconnectionInfo(DisconnectReason.HeartbeatTimeout),
        };
        client.SetupGet(c => c.ConnectionStates).Returns(Observable.Return(down));
        client.Setup(c => c.ConnectAsync(It.IsAny<CancellationToken>())).ThrowsAsync(new RealtimeException("refused"));

        var seen = await client.Object.ConnectionStates.FirstAsync();

        Assert.Equal(DisconnectReason.HeartbeatTimeout, seen.Disconnection?.Reason);
        await Assert.ThrowsAsync<RealtimeException>(() => client.Object.ConnectAsync());
    }
}
