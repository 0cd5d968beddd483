using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class EndpointTests
{
    private static (Uri Endpoint, string ForLogs) Build(string url, string key = "anon.key", string vsn = "2.0.0") =>
        RealtimeConnector.BuildEndpoint(new Uri(url), key, vsn);

    [Theory]
    [InlineData("https://xyz.supabase.co", "wss://xyz.supabase.co/realtime/v1/websocket?apikey=anon.key&vsn=2.0.0")]
    [InlineData("https://xyz.supabase.co/", "wss://xyz.supabase.co/realtime/v1/websocket?apikey=anon.key&vsn=2.0.0")]
    [InlineData("http://127.0.0.1:54321", "ws://127.0.0.1:54321/realtime/v1/websocket?apikey=anon.key&vsn=2.0.0")]
    [InlineData("https://api.example.com/realtime/v1", "wss://api.example.com/realtime/v1/websocket?apikey=anon.key&vsn=2.0.0")]
    public void The_socket_url_of_a_project_url(string url, string expected)
    {
        var (endpoint, forLogs) = Build(url);
        Assert.Equal(expected, endpoint.AbsoluteUri);
        Assert.DoesNotContain("anon.key", forLogs);
    }
}
