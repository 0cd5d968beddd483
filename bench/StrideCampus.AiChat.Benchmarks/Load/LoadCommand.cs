namespace StrideCampus.AiChat.Benchmarks.Load;

internal static class LoadCommand
{
    public static Task<int> RunAsync(CancellationToken cancellationToken) => Task.FromResult(0);
}
