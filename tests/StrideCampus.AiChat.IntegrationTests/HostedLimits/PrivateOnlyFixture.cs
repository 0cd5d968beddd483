using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.HostedLimits;

/// <summary>
/// A LocalStack started as a Supabase project with "private channels only" (<c>start --private-only</c>) and a record
/// limit of 256 KiB (<c>--max-record-bytes 262144</c>; Supabase's is 1 MiB, more than a message of at most 100,000
/// characters usually takes, so the tests lower it to reach it with a message that the schema accepts).
/// </summary>
public sealed class PrivateOnlyFixture : IAsyncLifetime
{
    public const int MaxRecordBytes = 256 * 1024;

    private LocalStackServer? _stack;

    public LocalStackServer Stack => _stack ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _stack = await LocalStackServer.StartAsync(new LocalStackOptions { PrivateOnly = true, MaxRecordBytes = MaxRecordBytes });

    public async Task DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PrivateOnlyCollection : ICollectionFixture<PrivateOnlyFixture>
{
    public const string Name = "localstack-private-only";
}
