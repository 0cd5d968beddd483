using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Protocol;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>A postgres_changes binding of a channel and the id the server assigned to it in the join reply.</summary>
internal sealed class PostgresBinding(PostgresChangesFilter filter, SafeSubject<PostgresChangeEvent> subject)
{
    private long _serverId;
    private volatile bool _hasServerId;

    public PostgresChangesFilter Filter { get; } = filter;

    public SafeSubject<PostgresChangeEvent> Subject { get; } = subject;

    /// <summary>
    /// For the SDK's own consumers: receives the change as parsed in place (valid only during the call) instead of
    /// a <see cref="PostgresChangeEvent"/>, which saves copying the row images out of the frame.
    /// </summary>
    public Action<PostgresChangeFrame>? FrameObserver { get; init; }

    public bool HasServerId => _hasServerId;

    public long ServerId => Volatile.Read(ref _serverId);

    public void SetServerId(long id)
    {
        Volatile.Write(ref _serverId, id);
        _hasServerId = true;
    }

    public void ClearServerId() => _hasServerId = false;

    /// <summary>Does a server entry <c>{id,event,schema,table,filter}</c> of the join reply confirm this binding?</summary>
    public bool Matches(JsonElement entry, string eventName, out long id)
    {
        id = 0;
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("id"u8, out var idElement)
            || !(idElement.ValueKind == JsonValueKind.Number ? idElement.TryGetInt64(out id)
                : idElement.ValueKind == JsonValueKind.String && long.TryParse(idElement.GetString(), System.Globalization.CultureInfo.InvariantCulture, out id)))
        {
            return false;
        }

        return string.Equals(Text(entry, "event"u8), eventName, StringComparison.OrdinalIgnoreCase)
            && string.Equals(Text(entry, "schema"u8), Filter.Schema, StringComparison.Ordinal)
            && string.Equals(Text(entry, "table"u8), Filter.Table, StringComparison.Ordinal)
            && string.Equals(Text(entry, "filter"u8) ?? "", Filter.Filter ?? "", StringComparison.Ordinal);
    }

    /// <summary>Fallback routing for events without ids: schema, table and event type.</summary>
    public bool Accepts(PostgresChangeFrame change) =>
        change.Schema == Filter.Schema
        && change.Table == Filter.Table
        && AcceptsType(change.Type);

    /// <summary>
    /// Whether the binding asked for this event type. Servers before Supabase's action filter list a binding's id
    /// for every change that passes its filter, so (as realtime-js does) an id match alone is not enough.
    /// </summary>
    public bool AcceptsType(PostgresChangeType type) => Filter.Event switch
    {
        PostgresChangeEventFilter.Insert => type == PostgresChangeType.Insert,
        PostgresChangeEventFilter.Update => type == PostgresChangeType.Update,
        PostgresChangeEventFilter.Delete => type == PostgresChangeType.Delete,
        _ => true,
    };

    private static string? Text(JsonElement entry, ReadOnlySpan<byte> name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
