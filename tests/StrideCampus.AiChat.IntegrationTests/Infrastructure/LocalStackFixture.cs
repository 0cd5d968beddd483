using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>One LocalStack (PostgreSQL + HTTP) for every test in the collection.</summary>
public sealed class LocalStackFixture : IAsyncLifetime
{
    private LocalStackServer? _stack;

    public LocalStackServer Stack => _stack ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _stack = await LocalStackServer.StartAsync();

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
