namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>A clock the test moves by hand (timers and delays still use real time).</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
