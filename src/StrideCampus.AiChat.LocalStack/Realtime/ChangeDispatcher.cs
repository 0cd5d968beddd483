using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Delivers row changes, one at a time in commit order, to the channels whose postgres_changes
/// bindings match (table, event, filter) and who may see the row (RLS, checked per distinct
/// principal). Payloads have Supabase's shape: <c>{ids, data:{schema, table, commit_timestamp,
/// type, columns, record, old_record, errors}}</c>. Deletes are not RLS-checked (the row is gone);
/// they reach bindings whose filter matches the old row, carrying only the primary key when the
/// table has RLS, as Supabase does.
/// </summary>
internal sealed class ChangeDispatcher(ChannelRegistry registry, ChangeAuthorizer authorizer, ILogger logger, RealtimeOptions? options = null)
{
    private long _encodes;

    /// <summary>postgres_changes frames encoded so far (one per distinct topic, serializer and ids of a change).</summary>
    internal long Encodes => Interlocked.Read(ref _encodes);

    /// <summary>The visibility checks, for tests and the benchmark.</summary>
    internal ChangeAuthorizer Authorizer => authorizer;

    /// <summary>Raised on the dispatch loop after each change (for tests: what it cost and who got it); the loop waits for it.</summary>
    internal event Action<DispatchReport>? Dispatched;

    /// <summary>Raised on the dispatch loop where changes were shed (the queue was full); subscribers must resync.</summary>
    internal event Action? Gap;

    public async Task RunAsync(ReplicationListener listener, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in listener.Changes.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (change is null)
                {
                    logger.LogWarning("Changes were shed (dispatch fell {Capacity} changes behind); subscribers are told to resync", listener.Changes.Capacity);
                    Gap?.Invoke();
                    continue;
                }
                try
                {
                    var report = await DispatchAsync(change, cancellationToken).ConfigureAwait(false);
                    Dispatched?.Invoke(report);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Dispatching a {Kind} on {Schema}.{Table} failed", change.KindName, change.Relation.Schema, change.Relation.Table);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    internal async Task<DispatchReport> DispatchAsync(RowChange change, CancellationToken cancellationToken)
    {
        var relation = change.Relation;
        var kind = change.KindName;
        var row = change.CurrentRow;
        List<(ChannelSubscription Channel, List<int> Ids)>? targets = null;
        foreach (var channel in registry.PostgresSubscribers)
        {
            if (channel.IsClosed || !channel.ReceivesChangeAt(change.CommitLsn))
            {
                continue;
            }
            List<int>? ids = null;
            foreach (var binding in channel.Bindings)
            {
                if (binding.Matches(relation, kind) && binding.Filter.Matches(relation, row) && !(ids?.Contains(binding.Id) ?? false))
                {
                    (ids ??= []).Add(binding.Id);
                }
            }
            if (ids is not null)
            {
                (targets ??= []).Add((channel, ids));
            }
        }
        if (targets is null)
        {
            return new DispatchReport(change, 0, 0, 0);
        }
        var principals = 0;

        string[]? errors = null;
        if (relation.RlsEnabled && change.Kind != ChangeKind.Delete)
        {
            if (relation.VisibilitySql is null)
            {
                errors = ["Error 400: Bad Request, no primary key"];
            }
            else
            {
                (targets, principals) = await FilterVisibleAsync(relation, row, change.Xid, targets, cancellationToken).ConfigureAwait(false);
                if (targets.Count == 0)
                {
                    return new DispatchReport(change, 0, principals, 0);
                }
            }
        }

        if (options?.Quota is { } quota && !quota.AdmitDatabaseChange(targets.Sum(t => t.Ids.Count)))
        {
            logger.LogDebug("A {Kind} on {Schema}.{Table} was dropped: the project is over its events per second", kind, relation.Schema, relation.Table);
            return new DispatchReport(change, 0, principals, 0);
        }

        var data = BuildData(change, row, errors);
        if (errors is null && options?.MaxRecordBytes is > 0 and var maxRecordBytes && data.Length > maxRecordBytes)
        {
            data = BuildData(change, row, [PayloadTooLarge], PayloadTooLargeValueBytes);
        }
        // One frame per distinct (topic, serializer, ids), its bytes shared by every socket that gets it.
        var frames = new Dictionary<(string Topic, PhoenixSerializer Serializer, string Ids), OutboundFrame>();
        foreach (var (channel, ids) in targets)
        {
            var serializer = channel.Session.Serializer;
            var key = (channel.Topic, serializer, string.Join(',', ids));
            if (!frames.TryGetValue(key, out var frame))
            {
                frame = serializer.Encode(null, null, channel.Topic, "postgres_changes", w =>
                {
                    w.WriteStartObject();
                    w.WriteStartArray("ids");
                    foreach (var id in ids)
                    {
                        w.WriteNumberValue(id);
                    }
                    w.WriteEndArray();
                    w.WritePropertyName("data");
                    w.WriteRawValue(data.Span, skipInputValidation: true);
                    w.WriteEndObject();
                });
                frames[key] = frame;
            }
            channel.Session.Send(frame);
        }
        Interlocked.Add(ref _encodes, frames.Count);
        return new DispatchReport(change, targets.Count, principals, frames.Count);
    }

    private async Task<(List<(ChannelSubscription Channel, List<int> Ids)> Visible, int Principals)> FilterVisibleAsync(
        RelationInfo relation, string?[] row, uint xid, List<(ChannelSubscription Channel, List<int> Ids)> targets, CancellationToken cancellationToken)
    {
        // One check per distinct (role, user), whatever the number of their channels and tokens; the claims of the first
        // token seen stand for that user's.
        var principals = new List<(string Role, string Claims)>();
        var principalOf = new int[targets.Count];
        var index = new Dictionary<(string, string), int>();
        for (var i = 0; i < targets.Count; i++)
        {
            var auth = targets[i].Channel.Auth;
            var key = auth.Principal;
            if (!index.TryGetValue(key, out var p))
            {
                p = principals.Count;
                principals.Add((key.Role, auth.ClaimsJson ?? "{}"));
                index[key] = p;
            }
            principalOf[i] = p;
        }
        var visible = await authorizer.AuthorizeAsync(relation, row, xid, principals, cancellationToken).ConfigureAwait(false);
        var result = new List<(ChannelSubscription, List<int>)>(targets.Count);
        for (var i = 0; i < targets.Count; i++)
        {
            if (visible[principalOf[i]])
            {
                result.Add(targets[i]);
            }
        }
        return (result, principals.Count);
    }

    /// <summary>
    /// The error of a change over <see cref="RealtimeOptions.MaxRecordBytes"/>, whose record then keeps only values of at most
    /// <see cref="PayloadTooLargeValueBytes"/> bytes of JSON (supabase/realtime
    /// <c>lib/realtime/tenants/repo/migrations/20260709120000_fix_apply_rls_filter_role_leak.ex</c>, <c>realtime.apply_rls</c>:
    /// <c>octet_length((c).value::text) &lt;= 64</c> and <c>array['Error 413: Payload Too Large']</c>).
    /// </summary>
    internal const string PayloadTooLarge = "Error 413: Payload Too Large";

    internal const int PayloadTooLargeValueBytes = 64;

    internal static ReadOnlyMemory<byte> BuildData(RowChange change, string?[] row, string[]? errors, int maxValueBytes = 0)
    {
        var relation = change.Relation;
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, JsonOutput.Writer))
        {
            w.WriteStartObject();
            w.WriteString("schema", relation.Schema);
            w.WriteString("table", relation.Table);
            w.WriteString("commit_timestamp", PgText.FormatCommitTimestamp(change.CommitTimestamp));
            w.WriteString("type", change.KindName);
            w.WriteStartArray("columns");
            foreach (var column in relation.Columns)
            {
                w.WriteStartObject();
                w.WriteString("name", column.Name);
                w.WriteString("type", column.TypeName);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (errors is null || maxValueBytes > 0)
            {
                if (change.Kind != ChangeKind.Delete)
                {
                    w.WritePropertyName("record");
                    WriteRecord(w, relation, row, keyOnly: false, maxValueBytes: maxValueBytes);
                }
                if (change.Kind == ChangeKind.Update)
                {
                    w.WritePropertyName("old_record");
                    WriteRecord(w, relation, change.OldValues ?? [], keyOnly: false, skipNulls: change.OldIsKeyOnly, maxValueBytes);
                }
                else if (change.Kind == ChangeKind.Delete)
                {
                    w.WritePropertyName("old_record");
                    WriteRecord(w, relation, change.OldValues ?? [], keyOnly: relation.RlsEnabled, skipNulls: change.OldIsKeyOnly, maxValueBytes);
                }
            }
            if (errors is null)
            {
                w.WriteNull("errors");
            }
            else
            {
                w.WriteStartArray("errors");
                foreach (var e in errors)
                {
                    w.WriteStringValue(e);
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    private static void WriteRecord(Utf8JsonWriter w, RelationInfo relation, string?[] values, bool keyOnly, bool skipNulls = false, int maxValueBytes = 0)
    {
        w.WriteStartObject();
        ArrayBufferWriter<byte>? scratch = null;
        for (var i = 0; i < relation.Columns.Count && i < values.Length; i++)
        {
            if (ReferenceEquals(values[i], RowChange.Unchanged) || (keyOnly && !relation.IsPrimaryKey(i)) || (skipNulls && values[i] is null))
            {
                continue;
            }
            if (maxValueBytes > 0)
            {
                // Measured as the value's JSON text, as Supabase measures (c).value::text.
                scratch ??= new ArrayBufferWriter<byte>(128);
                scratch.ResetWrittenCount();
                using (var measure = new Utf8JsonWriter(scratch, JsonOutput.Writer))
                {
                    PgText.WriteJson(measure, relation.Columns[i].TypeName, values[i]);
                }
                if (scratch.WrittenCount > maxValueBytes)
                {
                    continue;
                }
            }
            w.WritePropertyName(relation.Columns[i].Name);
            PgText.WriteJson(w, relation.Columns[i].TypeName, values[i]);
        }
        w.WriteEndObject();
    }
}
