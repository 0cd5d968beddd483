using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>
/// A LocalStack of one test class's own, with the shared fixture's options: for tests of service-wide limits
/// (joins per second, channels, queues), which the shared stack's other tests would otherwise eat into.
/// </summary>
public sealed class OwnLocalStackFixture : IAsyncLifetime
{
    private LocalStackServer? _stack;

    public LocalStackServer Stack => _stack ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _stack = await LocalStackServer.StartAsync(LocalStackFixture.Options());

    public async Task DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
    }
}
