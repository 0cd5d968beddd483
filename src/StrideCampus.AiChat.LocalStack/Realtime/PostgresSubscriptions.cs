using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// When a channel's postgres_changes bindings start receiving changes. Hosted Supabase subscribes to the database
/// after its join reply, in <c>handle_info(:postgres_subscribe)</c> (supabase/realtime
/// <c>lib/realtime_web/channels/realtime_channel.ex</c>), and changes flow from its <c>system</c> message "Subscribed
/// to PostgreSQL"; with <see cref="Hosting.LocalStackOptions.SubscribeDelay"/> LocalStack does the same: a held channel
/// receives only changes committed after the WAL position read when it is confirmed. Without a delay the bindings are
/// registered before the reply, as LocalStack always did.
/// </summary>
internal sealed class PostgresSubscriptions(NpgsqlDataSource database, TimeSpan delay, TimeProvider time, ILogger logger)
{
    /// <summary>Whether confirmations wait for the delay.</summary>
    public bool Delayed => delay > TimeSpan.Zero;

    /// <summary>Before the channel is registered: with a delay, no change flows to it until it is confirmed.</summary>
    public void Hold(ChannelSubscription channel)
    {
        if (Delayed && channel.Bindings.Count > 0)
        {
            channel.ChangesAfterLsn = long.MaxValue;
        }
    }

    /// <summary>Runs <paramref name="confirm"/> (which calls <see cref="StartFlowingAsync"/>, then says so) after the delay, unless the channel closed meanwhile.</summary>
    public void ConfirmLater(ChannelSubscription channel, Func<Task> confirm, CancellationToken cancellationToken) =>
        _ = RunAsync(channel, confirm, cancellationToken);

    /// <summary>Lets changes committed from now on flow to a held channel.</summary>
    public async Task StartFlowingAsync(ChannelSubscription channel, CancellationToken cancellationToken)
    {
        if (channel.ChangesAfterLsn != long.MaxValue)
        {
            return;
        }

        await using var command = database.CreateCommand("select pg_current_wal_lsn()");
        var lsn = (NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        channel.ChangesAfterLsn = (long)(ulong)lsn;
    }

    private async Task RunAsync(ChannelSubscription channel, Func<Task> confirm, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            if (!channel.IsClosed)
            {
                await confirm().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            logger.LogWarning(ex, "Confirming the postgres_changes subscription of {Topic} failed", channel.Topic);
        }
    }
}
