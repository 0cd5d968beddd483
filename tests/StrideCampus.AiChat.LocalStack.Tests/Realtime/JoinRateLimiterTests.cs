using Microsoft.Extensions.Time.Testing;
using StrideCampus.AiChat.LocalStack.Realtime;

namespace StrideCampus.AiChat.LocalStack.Tests.Realtime;

/// <summary>Supabase's joins per second as a sliding one-second window (RealtimeLimitsTests covers the refusal on a socket).</summary>
public sealed class JoinRateLimiterTests
{
    [Fact]
    public void The_join_window_slides_over_one_second()
    {
        var time = new FakeTimeProvider();
        var limiter = new JoinRateLimiter(() => 3, time);
        Assert.True(limiter.TryJoin());
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.True(limiter.TryJoin());
        Assert.True(limiter.TryJoin());
        Assert.False(limiter.TryJoin());
        time.Advance(TimeSpan.FromMilliseconds(599));
        Assert.False(limiter.TryJoin()); // the first join is 999 ms old
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryJoin());  // it left the window
        Assert.False(limiter.TryJoin());
        Assert.True(new JoinRateLimiter(() => 0, time).TryJoin()); // 0: no limit
    }
}
