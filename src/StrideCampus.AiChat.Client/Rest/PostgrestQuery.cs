using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace StrideCampus.AiChat.Client.Rest;

/// <summary>
/// An immutable PostgREST query on one table: every builder call returns a new query, so a query can be
/// kept and reused. Filters apply to reads, updates and deletes. Values are sent as PostgREST literals,
/// percent-encoded, so no value can change the query's structure.
/// </summary>
/// <typeparam name="T">The row type.</typeparam>
public sealed class PostgrestQuery<T>
{
    private readonly PostgrestClient _client;
    private readonly JsonTypeInfo<T> _typeInfo;
    private readonly State _state;

    internal PostgrestQuery(PostgrestClient client, string table, JsonTypeInfo<T> typeInfo)
        : this(client, typeInfo, new State(table, null, [], [], null, null))
    {
    }

    private PostgrestQuery(PostgrestClient client, JsonTypeInfo<T> typeInfo, State state)
    {
        _client = client;
        _typeInfo = typeInfo;
        _state = state;
    }

    /// <summary>The table or view name.</summary>
    public string Table => _state.Table;

    /// <summary>Chooses the columns (and embedded resources), for example <c>*,ai_chat_messages(*)</c>.</summary>
    /// <param name="columns">PostgREST's select list; whitespace outside double quotes is removed.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Select(string columns)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(columns);
        return With(_state with { Columns = PostgrestEncoding.CleanSelect(columns) });
    }

    /// <summary>Keeps rows where <paramref name="column"/> equals <paramref name="value"/> (<c>eq</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value, as PostgreSQL reads it (for example a uuid or <c>true</c>).</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Eq(string column, string value) => Filter(column, "eq", value);

    /// <summary>Keeps rows where <paramref name="column"/> differs from <paramref name="value"/> (<c>neq</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Neq(string column, string value) => Filter(column, "neq", value);

    /// <summary>Keeps rows where <paramref name="column"/> is greater than <paramref name="value"/> (<c>gt</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Gt(string column, string value) => Filter(column, "gt", value);

    /// <summary>Keeps rows where <paramref name="column"/> is at least <paramref name="value"/> (<c>gte</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Gte(string column, string value) => Filter(column, "gte", value);

    /// <summary>Keeps rows where <paramref name="column"/> is less than <paramref name="value"/> (<c>lt</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Lt(string column, string value) => Filter(column, "lt", value);

    /// <summary>Keeps rows where <paramref name="column"/> is at most <paramref name="value"/> (<c>lte</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Lte(string column, string value) => Filter(column, "lte", value);

    /// <summary>Keeps rows where <paramref name="column"/> matches the case-sensitive pattern (<c>like</c>; <c>%</c> or <c>*</c> as wildcard).</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The pattern.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Like(string column, string pattern) => Filter(column, "like", pattern);

    /// <summary>Keeps rows where <paramref name="column"/> matches the case-insensitive pattern (<c>ilike</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The pattern.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> ILike(string column, string pattern) => Filter(column, "ilike", pattern);

    /// <summary>Keeps rows where <paramref name="column"/> <c>IS</c> <paramref name="value"/>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value"><see langword="null"/> or <c>"null"</c>, <c>"true"</c>, <c>"false"</c>, <c>"unknown"</c>.</param>
    /// <returns>The new query.</returns>
    /// <exception cref="ArgumentException"><paramref name="value"/> is none of those.</exception>
    public PostgrestQuery<T> Is(string column, string? value)
    {
        var literal = value?.ToLowerInvariant() switch
        {
            null or "null" => "null",
            "true" => "true",
            "false" => "false",
            "unknown" => "unknown",
            _ => throw new ArgumentException("IS accepts only null, true, false or unknown.", nameof(value)),
        };
        return Filter(column, "is", literal);
    }

    /// <summary>Keeps rows where <paramref name="column"/> is one of <paramref name="values"/> (<c>in.(a,"b,c")</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="values">The values; values with <c>, ( ) "</c> or whitespace are quoted.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> In(string column, IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.Select(v => PostgrestEncoding.QuoteListValue(v ?? throw new ArgumentException("Values must not be null.", nameof(values))));
        return Filter(column, "in", "(" + string.Join(',', list) + ")");
    }

    /// <summary>Keeps rows matching any of the conditions, in PostgREST's syntax (for example <c>status.eq.error,is_user.eq.true</c>).</summary>
    /// <param name="expression">The conditions, without the enclosing parentheses.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Or(string expression)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expression);
        return With(_state with { Filters = _state.Filters.Add(new("or", "(" + expression + ")")) });
    }

    /// <summary>Keeps rows where <paramref name="column"/> does NOT satisfy <paramref name="operator"/> <paramref name="value"/> (<c>not.op.value</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="operator">A PostgREST operator such as <c>eq</c>, <c>is</c> or <c>in</c>.</param>
    /// <param name="value">The operand exactly as PostgREST expects it (for <c>in</c>: <c>(a,b)</c>).</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Not(string column, string @operator, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(@operator);
        return Filter(column, "not." + @operator, value);
    }

    /// <summary>Adds a raw filter <c>column=operator.value</c> for operators without a dedicated method.</summary>
    /// <param name="column">The column.</param>
    /// <param name="operator">The PostgREST operator (for example <c>cs</c>, <c>fts</c>).</param>
    /// <param name="value">The operand exactly as PostgREST expects it.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Filter(string column, string @operator, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        ArgumentException.ThrowIfNullOrWhiteSpace(@operator);
        ArgumentNullException.ThrowIfNull(value);
        return With(_state with { Filters = _state.Filters.Add(new(column, @operator + "." + value)) });
    }

    /// <summary>Orders by <paramref name="column"/>; further calls add tie-breakers.</summary>
    /// <param name="column">The column.</param>
    /// <param name="ascending">Ascending (default) or descending.</param>
    /// <param name="nullsFirst"><see langword="true"/> for <c>nullsfirst</c>, <see langword="false"/> for <c>nullslast</c>, <see langword="null"/> for the database default.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Order(string column, bool ascending = true, bool? nullsFirst = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        var term = column + (ascending ? ".asc" : ".desc") + nullsFirst switch
        {
            true => ".nullsfirst",
            false => ".nullslast",
            null => string.Empty,
        };
        return With(_state with { Orders = _state.Orders.Add(term) });
    }

    /// <summary>Returns at most <paramref name="count"/> rows.</summary>
    /// <param name="count">The limit (0 or more).</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Limit(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return With(_state with { Limit = count });
    }

    /// <summary>Skips the first <paramref name="count"/> rows.</summary>
    /// <param name="count">The offset (0 or more).</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Offset(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return With(_state with { Offset = count });
    }

    /// <summary>Returns rows <paramref name="from"/> to <paramref name="to"/>, both inclusive and zero-based (<c>offset</c> and <c>limit</c>).</summary>
    /// <param name="from">The first row's index.</param>
    /// <param name="to">The last row's index.</param>
    /// <returns>The new query.</returns>
    public PostgrestQuery<T> Range(int from, int to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfLessThan(to, from);
        return With(_state with { Offset = from, Limit = to - from + 1 });
    }

    /// <summary>Reads the matching rows (<c>GET</c>; retried on transient failures).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="PostgrestException">PostgREST answered with an error.</exception>
    public async Task<IReadOnlyList<T>> GetAsync(CancellationToken cancellationToken = default)
    {
        var response = await _client.SendAsync(BuildRead(HttpMethod.Get, prefer: null), cancellationToken);
        return PostgrestJson.DeserializeRows(response.Body, _typeInfo);
    }

    /// <summary>Reads the matching rows and their exact total count (<c>Prefer: count=exact</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The rows and the total.</returns>
    /// <exception cref="PostgrestException">PostgREST answered with an error.</exception>
    public async Task<PostgrestPage<T>> GetWithCountAsync(CancellationToken cancellationToken = default)
    {
        var response = await _client.SendAsync(BuildRead(HttpMethod.Get, "count=exact"), cancellationToken);
        return new PostgrestPage<T>(PostgrestJson.DeserializeRows(response.Body, _typeInfo), ContentRange.ParseTotal(response.ContentRange));
    }

    /// <summary>Counts the matching rows without reading them (<c>HEAD</c> with <c>Prefer: count=exact</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The exact count.</returns>
    /// <exception cref="PostgrestException">PostgREST answered with an error or no count.</exception>
    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        var response = await _client.SendAsync(BuildRead(HttpMethod.Head, "count=exact"), cancellationToken);
        return ContentRange.ParseTotal(response.ContentRange)
            ?? throw new PostgrestException(response.Status, null, "PostgREST returned no row count (Content-Range).");
    }

    /// <summary>Reads the one matching row, or <see langword="default"/> when none matches.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The row or <see langword="default"/>.</returns>
    /// <exception cref="PostgrestException">More than one row matches (<c>PGRST116</c>, 406), or another error.</exception>
    public async Task<T?> MaybeSingleAsync(CancellationToken cancellationToken = default)
    {
        var rows = await GetAsync(cancellationToken);
        return rows.Count switch
        {
            0 => default,
            1 => rows[0],
            _ => throw new PostgrestException(
                406,
                "PGRST116",
                "JSON object requested, multiple (or no) rows returned",
                $"The result contains {rows.Count.ToString(CultureInfo.InvariantCulture)} rows"),
        };
    }

    /// <summary>Reads exactly one row (<c>Accept: application/vnd.pgrst.object+json</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The row.</returns>
    /// <exception cref="PostgrestException">Zero or several rows match (<c>PGRST116</c>, 406), or another error.</exception>
    public async Task<T> SingleAsync(CancellationToken cancellationToken = default)
    {
        var request = BuildRead(HttpMethod.Get, prefer: null) with { Accept = PostgrestRequest.SingleObjectMediaType };
        var response = await _client.SendAsync(request, cancellationToken);
        return PostgrestJson.DeserializeRow(response.Body, _typeInfo);
    }

    /// <summary>Inserts rows and returns them as stored (<c>Prefer: return=representation</c>). Never retried.</summary>
    /// <param name="rows">The rows.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The inserted rows.</returns>
    /// <exception cref="PostgrestException">PostgREST answered with an error (for example <c>42501</c> or <c>23505</c>).</exception>
    public async Task<IReadOnlyList<T>> InsertAsync(IEnumerable<T> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        if (list.Count == 0)
        {
            return [];
        }

        var response = await _client.SendAsync(BuildBulkWrite(list, "return=representation", onConflict: null), cancellationToken);
        return PostgrestJson.DeserializeRows(response.Body, _typeInfo);
    }

    /// <summary>Inserts one row and returns it as stored. Never retried.</summary>
    /// <param name="row">The row.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The inserted row.</returns>
    /// <exception cref="PostgrestException">PostgREST answered with an error.</exception>
    public async Task<T> InsertAsync(T row, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(row);
        var request = new PostgrestRequest(HttpMethod.Post, _state.Table, SelectOnly(), PostgrestJson.SerializeRow(row, _typeInfo), "return=representation");
        var response = await _client.SendAsync(request, cancellationToken);
        var stored = PostgrestJson.DeserializeRows(response.Body, _typeInfo);
        return stored.Count > 0
            ? stored[0]
            : throw new PostgrestException(response.Status, null, "PostgREST returned no row for the insert (is the row visible to its writer?).");
    }

    /// <summary>
    /// Inserts rows, or on a conflict updates (<c>resolution=merge-duplicates</c>) or skips
    /// (<c>resolution=ignore-duplicates</c>) the existing ones. Never retried, but safe to repeat yourself.
    /// </summary>
    /// <param name="rows">The rows.</param>
    /// <param name="onConflict">The unique columns that define a conflict (comma-separated); the primary key when <see langword="null"/>.</param>
    /// <param name="ignoreDuplicates">Skip conflicting rows instead of updating them.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The inserted or updated rows (skipped rows are not returned).</returns>
    /// <exception cref="PostgrestException">PostgREST answered with an error.</exception>
    public async Task<IReadOnlyList<T>> UpsertAsync(IEnumerable<T> rows, string? onConflict = null, bool ignoreDuplicates = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (onConflict is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(onConflict);
        }

        var list = rows.ToList();
        if (list.Count == 0)
        {
            return [];
        }

        var prefer = (ignoreDuplicates ? "resolution=ignore-duplicates" : "resolution=merge-duplicates") + ",return=representation";
        var response = await _client.SendAsync(BuildBulkWrite(list, prefer, onConflict), cancellationToken);
        return PostgrestJson.DeserializeRows(response.Body, _typeInfo);
    }

    /// <summary>Updates the rows matching the filters with <paramref name="patch"/> (<c>PATCH</c>). Never retried.</summary>
    /// <param name="patch">Column names and new values.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The updated rows.</returns>
    /// <exception cref="InvalidOperationException">The query has no filter (which would update every visible row).</exception>
    /// <exception cref="PostgrestException">PostgREST answered with an error.</exception>
    public async Task<IReadOnlyList<T>> UpdateAsync(JsonObject patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        RequireFilter("update");
        var request = new PostgrestRequest(HttpMethod.Patch, _state.Table, FiltersAndSelect(), PostgrestJson.SerializeNode(patch), "return=representation");
        var response = await _client.SendAsync(request, cancellationToken);
        return PostgrestJson.DeserializeRows(response.Body, _typeInfo);
    }

    /// <summary>Deletes the rows matching the filters (<c>DELETE</c>) and returns them. Never retried.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The deleted rows.</returns>
    /// <exception cref="InvalidOperationException">The query has no filter (which would delete every visible row).</exception>
    /// <exception cref="PostgrestException">PostgREST answered with an error.</exception>
    public async Task<IReadOnlyList<T>> DeleteAsync(CancellationToken cancellationToken = default)
    {
        RequireFilter("delete");
        var request = new PostgrestRequest(HttpMethod.Delete, _state.Table, FiltersAndSelect(), null, "return=representation");
        var response = await _client.SendAsync(request, cancellationToken);
        return PostgrestJson.DeserializeRows(response.Body, _typeInfo);
    }

    /// <summary>The URL a read would use (for diagnostics and tests).</summary>
    /// <returns>The absolute URL.</returns>
    public Uri ToUri() => _client.BuildUri(BuildRead(HttpMethod.Get, prefer: null));

    internal PostgrestRequest BuildRead(HttpMethod method, string? prefer)
    {
        var query = new List<KeyValuePair<string, string>> { new("select", _state.Columns ?? "*") };
        query.AddRange(_state.Filters);
        if (_state.Orders.Count > 0)
        {
            query.Add(new("order", string.Join(',', _state.Orders)));
        }

        if (_state.Limit is { } limit)
        {
            query.Add(new("limit", limit.ToString(CultureInfo.InvariantCulture)));
        }

        if (_state.Offset is { } offset)
        {
            query.Add(new("offset", offset.ToString(CultureInfo.InvariantCulture)));
        }

        return new PostgrestRequest(method, _state.Table, query, Prefer: prefer);
    }

    private PostgrestRequest BuildBulkWrite(List<T> rows, string prefer, string? onConflict)
    {
        var body = PostgrestJson.SerializeRows(rows, _typeInfo);
        var query = SelectOnly();
        if (onConflict is not null)
        {
            query.Add(new("on_conflict", PostgrestEncoding.CleanSelect(onConflict)));
        }

        if (PostgrestJson.DifferingColumns(body) is { } columns)
        {
            // Rows disagree on their keys: name every column and let absent ones take their defaults.
            query.Add(new("columns", string.Join(',', columns.Select(c => "\"" + c + "\""))));
            prefer += ",missing=default";
        }

        return new PostgrestRequest(HttpMethod.Post, _state.Table, query, body, prefer);
    }

    private List<KeyValuePair<string, string>> SelectOnly() =>
        _state.Columns is null ? [] : [new("select", _state.Columns)];

    private List<KeyValuePair<string, string>> FiltersAndSelect()
    {
        var query = SelectOnly();
        query.AddRange(_state.Filters);
        return query;
    }

    private void RequireFilter(string operation)
    {
        if (_state.Filters.Count == 0)
        {
            throw new InvalidOperationException(
                $"Refusing to {operation} without a filter: it would {operation} every row the user can see. Add a filter such as Eq(\"id\", ...).");
        }
    }

    private PostgrestQuery<T> With(State state) => new(_client, _typeInfo, state);

    private sealed record State(
        string Table,
        string? Columns,
        ImmutableList<KeyValuePair<string, string>> Filters,
        ImmutableList<string> Orders,
        int? Limit,
        int? Offset);
}
