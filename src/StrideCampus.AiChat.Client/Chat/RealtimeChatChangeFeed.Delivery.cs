using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Rows;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>Row changes off the receive loop: mapped, completed by id when they arrived without their long values, delivered in order.</summary>
internal sealed partial class RealtimeChatChangeFeed
{
    private void OnChange(RowChange f, bool isSession)
    {
        if (IsDisposed)
        {
            return;
        }

        ChatChange? change;
        try
        {
            change = Map(f, isSession);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException or NotSupportedException)
        {
            ChatLog.RealtimePayloadDropped(_logger, f.Table, ex.Message);
            return;
        }

        if (change is null)
        {
            ChatLog.RealtimePayloadDropped(_logger, f.Table, f.Errors.Count > 0 ? string.Join("; ", f.Errors) : "no row in the payload");
            if (RowFetcher is { } fetcher && f.Type is PostgresChangeType.Insert or PostgresChangeType.Update
                && f.New.IsPresent && f.New.IsObject && f.New.TryGetGuid("id"u8, out var id))
            {
                // Supabase keeps the short values (the id among them) of a change over its record limit: read that row alone.
                _ = CompleteRowAsync(fetcher, isSession, id, f.Type == PostgresChangeType.Insert);
            }
            else if (f.Type is PostgresChangeType.Insert or PostgresChangeType.Update)
            {
                // A change happened but its row did not arrive whole: ask the consumers to refetch, as after a rejoin.
                SignalResubscribed();
            }

            return;
        }

        Deliver(change);
    }

    private void OnDeletion(RowChange f)
    {
        if (IsDisposed)
        {
            return;
        }

        ChatChange? change;
        try
        {
            change = MapDeletion(f);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            ChatLog.RealtimePayloadDropped(_logger, f.Table, ex.Message);
            return;
        }

        if (change is null)
        {
            ChatLog.RealtimePayloadDropped(_logger, f.Table, f.Errors.Count > 0 ? string.Join("; ", f.Errors) : "no deletion in the payload");
            return;
        }

        Deliver(change);
    }

    private async Task CompleteRowAsync(ChatRowFetcher fetcher, bool isSession, Guid id, bool insert)
    {
        ChatChange? change;
        try
        {
            change = await fetcher.FetchAsync(isSession, id, insert, _lifetime.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever failed, the change must not be lost: fall back to a refetch.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (!IsDisposed)
            {
                // Not read: fall back to a refetch, as for any change that did not arrive whole.
                ChatLog.RealtimePayloadDropped(_logger, isSession ? PostgrestChatDataSource.SessionsTable : PostgrestChatDataSource.MessagesTable, ex.Message);
                SignalResubscribed();
            }

            return;
        }

        // Null: deleted or no longer visible meanwhile; its delete arrives on its own.
        if (change is not null && !IsDisposed)
        {
            Deliver(change);
        }
    }

    private void Deliver(ChatChange change)
    {
        _pending.DeliverOrQueue(_changes, change, static (changes, next) => changes.OnNext(next));
    }
}
