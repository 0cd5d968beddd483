using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>One LocalStack (PostgreSQL + HTTP) for every test in the collection.</summary>
public sealed class LocalStackFixture : IAsyncLifetime
{
    private LocalStackServer? _stack;

    public LocalStackServer Stack => _stack ?? throw new InvalidOperationException("Not started.");

    /// <summary>
    /// Whether the suite runs against LocalStack in its hosted-like mode (<c>AICHAT_LOCALSTACK=hosted</c>, as .ci/run's
    /// second pass does): subscriptions confirmed a second after the join reply, Max rows 1000, the Pro plan's
    /// 500 events a second. Private-only has tests of its own (HostedLimits): the protocol tests here join public channels.
    /// </summary>
    public static bool HostedLike { get; } = string.Equals(Environment.GetEnvironmentVariable("AICHAT_LOCALSTACK"), "hosted", StringComparison.OrdinalIgnoreCase);

    // One address signs up hundreds of users: GoTrue's per-IP limits would refuse them (AuthLimitsTests checks the limits).
    public async Task InitializeAsync() => _stack = await LocalStackServer.StartAsync(Options());

    public static LocalStackOptions Options()
    {
        var options = new LocalStackOptions { AuthRateLimits = false, MaxRows = 1000 };
        if (HostedLike)
        {
            options.SubscribeDelay = TimeSpan.FromSeconds(1);
            options.EventsPerSecond = 500;
        }

        return options;
    }

    public async Task DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LocalStackCollection : ICollectionFixture<LocalStackFixture>
{
    public const string Name = "localstack";
}

/// <summary>
/// Tests that measure the whole process (managed memory, timers, threads, sockets): they run alone, after the
/// parallel classes, on a LocalStack of their own, so another test's work never counts against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMeasureCollection : ICollectionFixture<LocalStackFixture>
{
    public const string Name = "process-measure";
}
