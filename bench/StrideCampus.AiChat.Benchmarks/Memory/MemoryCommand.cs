namespace StrideCampus.AiChat.Benchmarks.Memory;

internal static class MemoryCommand
{
    public static Task<int> RunAsync(CancellationToken cancellationToken) => Task.FromResult(0);
}
