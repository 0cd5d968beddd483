using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// One postgres_changes entry of a join: <c>{event, schema, table, filter}</c> as the client sent it
/// (echoed back in the join reply with the server id), parsed for matching.
/// </summary>
internal sealed class PostgresBinding(int id, string @event, string schema, string table, ChangeFilter filter, JsonElement requested, string? error)
{
    /// <summary>The id the join reply assigns and events carry in <c>ids</c> (positive; a hash of the params, as Supabase's).</summary>
    public int Id { get; } = id;

    /// <summary><c>*</c>, <c>INSERT</c>, <c>UPDATE</c> or <c>DELETE</c>.</summary>
    public string Event { get; } = @event;

    public string Schema { get; } = schema;

    /// <summary>A table name or <c>*</c>.</summary>
    public string Table { get; } = table;

    public ChangeFilter Filter { get; } = filter;

    /// <summary>The params object as received.</summary>
    public JsonElement Requested { get; } = requested;

    /// <summary>Why the binding cannot work (bad params), reported in a system message; null when fine.</summary>
    public string? Error { get; } = error;

    public bool Matches(RelationInfo relation, string kind) =>
        Error is null &&
        (Event == "*" || Event == kind) &&
        (Schema == "*" || Schema == relation.Schema) &&
        (Table == "*" || Table == relation.Table);

    /// <summary>Builds a binding from a join's postgres_changes entry, following Supabase's parameter rules.</summary>
    public static PostgresBinding Parse(JsonElement requested)
    {
        string? Str(string name) => requested.ValueKind == JsonValueKind.Object && requested.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        bool Has(string name) => requested.ValueKind == JsonValueKind.Object && requested.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

        var rawEvent = Str("event");
        var ev = rawEvent?.ToUpperInvariant() switch
        {
            "INSERT" => "INSERT",
            "UPDATE" => "UPDATE",
            "DELETE" => "DELETE",
            _ => "*",
        };
        var schema = Str("schema");
        var table = Str("table");
        var filterText = Str("filter");
        string? error = null;
        var filter = ChangeFilter.None;
        if (schema is not null && table is not null)
        {
            if (Has("filter") && filterText is null)
            {
                error = "No subscription params provided. Please provide at least a `schema` or `table` to subscribe to: " + requested.GetRawText();
            }
            else if (!ChangeFilter.TryParse(filterText, out filter, out var filterError))
            {
                error = filterError;
            }
        }
        else if (schema is not null && !Has("table") && !Has("filter"))
        {
            table = "*";
        }
        else if (table is not null && !Has("schema") && !Has("filter"))
        {
            schema = "public";
        }
        else
        {
            error = "No subscription params provided. Please provide at least a `schema` or `table` to subscribe to: " + requested.GetRawText();
        }
        var id = HashId($"{rawEvent}|{schema}|{table}|{filterText}");
        return new PostgresBinding(id, ev, schema ?? "", table ?? "", filter, requested.Clone(), error);
    }

    private static int HashId(string key)
    {
        // FNV-1a folded into 1..2^27-1, like the small positive integers Supabase derives from the params.
        uint hash = 2166136261;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619;
        }
        return (int)(hash % 134217727) + 1;
    }
}
