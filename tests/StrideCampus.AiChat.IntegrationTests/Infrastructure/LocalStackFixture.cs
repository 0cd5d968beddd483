using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>One LocalStack (PostgreSQL + HTTP) for every test in the collection.</summary>
public sealed class LocalStackFixture : IAsyncLifetime
{
    private LocalStackServer? _stack;

    public LocalStackServer Stack => _stack ?? throw new InvalidOperationException("Not started.");

    // One address signs up hundreds of users: GoTrue's per-IP limits would refuse them (AuthLimitsTests checks the limits).
    public async Task InitializeAsync() => _stack = await LocalStackServer.StartAsync(new LocalStackOptions { AuthRateLimits = false });

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
