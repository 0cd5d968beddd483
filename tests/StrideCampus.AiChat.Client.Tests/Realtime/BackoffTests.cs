using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class BackoffTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 5)]
    [InlineData(4, 10)]
    [InlineData(5, 10)]
    [InlineData(100, 10)]
    public void Follows_the_realtime_js_schedule(int attempt, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Base(attempt));
    }

    [Fact]
    public void Reconnect_delays_add_at_most_ten_percent_jitter()
    {
        var delays = Enumerable.Range(0, 200).Select(_ => Backoff.WithJitter(2)).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.2)));
        Assert.True(delays.Distinct().Count() > 1, "jitter varies");
    }
}
