using Npgsql;

namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>
/// A pooled connection broken under us (PostgreSQL restarted) fails one attempt with an <see cref="NpgsqlException"/>
/// that is not a <see cref="PostgresException"/>: the pool is cleared and the work is tried once more on a fresh
/// connection. Server errors and cancellation are never retried.
/// </summary>
internal static class BrokenConnectionRetry
{
    /// <summary>Runs <paramref name="work"/>, and once more after clearing <paramref name="dataSource"/>'s pool if a connection broke.</summary>
    /// <param name="dataSource">The pool the work's connections come from.</param>
    /// <param name="work">The work; it must be safe to run again after a failed attempt.</param>
    /// <param name="cancellationToken">Passed to the work; once cancelled, a failure is not retried.</param>
    /// <param name="onBroken">Called with the failure before the pool is cleared (e.g. to log it).</param>
    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken, Action<NpgsqlException>? onBroken = null)
    {
        try
        {
            return await work(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException && !cancellationToken.IsCancellationRequested)
        {
            onBroken?.Invoke(ex);
            dataSource.Clear();
            return await work(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs <paramref name="work"/>, and once more after clearing <paramref name="dataSource"/>'s pool if a connection broke.</summary>
    /// <param name="dataSource">The pool the work's connections come from.</param>
    /// <param name="work">The work; it must be safe to run again after a failed attempt.</param>
    /// <param name="cancellationToken">Passed to the work; once cancelled, a failure is not retried.</param>
    /// <param name="onBroken">Called with the failure before the pool is cleared (e.g. to log it).</param>
    public static Task RunAsync(NpgsqlDataSource dataSource, Func<CancellationToken, Task> work, CancellationToken cancellationToken, Action<NpgsqlException>? onBroken = null) =>
        RunAsync(dataSource, async ct =>
        {
            await work(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken, onBroken);
}
