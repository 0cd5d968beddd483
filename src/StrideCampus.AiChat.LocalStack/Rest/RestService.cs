using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Npgsql;
using StrideCampus.AiChat.LocalStack.Auth;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>
/// Serves /rest/v1 as PostgREST does: each request is one transaction on an authenticator
/// connection, switched to the JWT's role with <c>request.jwt.claims</c> set, so row level
/// security decides what is read and written.
/// </summary>
internal sealed class RestService : IAsyncDisposable
{
    private const string ObjectMediaType = "application/vnd.pgrst.object+json";
    private readonly LocalStackContext _context;
    private readonly NpgsqlDataSource _db;
    private readonly NpgsqlDataSource _catalog;
    private readonly SchemaCache _schema;

    public RestService(LocalStackContext context)
    {
        _context = context;
        // Bounded pools: Postgres allows 300 connections, shared with auth and realtime.
        _db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(context.Postgres.AuthenticatorConnectionString) { MaxPoolSize = 64 }.ConnectionString);
        _catalog = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(context.Postgres.ConnectionString) { MaxPoolSize = 4 }.ConnectionString);
        _schema = new SchemaCache(_catalog);
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync().ConfigureAwait(false);
        await _catalog.DisposeAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- tables

    public async Task<IResult> HandleTableAsync(HttpContext http, string name)
    {
        RequestIdentity? identity = null;
        try
        {
            identity = await IdentifyAsync(http).ConfigureAwait(false);
            CheckProfile(http);
            var ct = http.RequestAborted;
            var schema = await _schema.GetAsync(ct).ConfigureAwait(false);
            var table = schema.FindTable(name) ?? (schema = await _schema.ReloadAsync(false, ct).ConfigureAwait(false)).FindTable(name)
                ?? throw new PostgrestError(404, "PGRST205", $"Could not find the table '{schema.Schema}.{name}' in the schema cache", null, null);
            var query = ParseQuery(http, null);
            var prefer = Preferences.Parse(http.Request.Headers["Prefer"]);
            var method = http.Request.Method;
            if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
            {
                ApplyRangeHeader(http, query.Root);
                return await ReadAsync(http, identity, schema, table, table.QualifiedName, query, prefer, ct).ConfigureAwait(false);
            }
            if (HttpMethods.IsPost(method))
            {
                return await InsertAsync(http, identity, schema, table, query, prefer, ct).ConfigureAwait(false);
            }
            if (HttpMethods.IsPatch(method))
            {
                return await UpdateAsync(http, identity, schema, table, query, prefer, ct).ConfigureAwait(false);
            }
            return await DeleteAsync(http, identity, schema, table, query, prefer, ct).ConfigureAwait(false);
        }
        catch (PostgrestError e)
        {
            return e.ToResult(http);
        }
        catch (PostgresException e)
        {
            return PostgrestError.FromPostgres(e, identity?.IsAnonymous ?? true).ToResult(http);
        }
        catch (NpgsqlException e)
        {
            return new PostgrestError(503, "PGRST000", "Database client error. Retrying the connection.", e.Message, null).ToResult(http);
        }
        catch (BadHttpRequestException e)
        {
            return RequestBody.Refused(e).ToResult(http);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new PostgrestError(500, "PGRSTX00", "Internal error", e.GetType().Name, null).ToResult(http);
        }
    }

    private async Task<IResult> ReadAsync(HttpContext http, RequestIdentity identity, SchemaSnapshot schema, DbTable table, string source, ParsedQuery query, Preferences prefer, CancellationToken ct)
    {
        // A Supabase project caps every read at its API "Max rows" (db-max-rows) without an error, at the top
        // level and in every embed; clients that need everything must page, so LocalStack caps reads the same way.
        var maxRows = Math.Max(0, _context.Options.MaxRows);
        if (maxRows > 0)
        {
            query.Root.Limit = query.Root.Limit is { } limit ? Math.Min(limit, maxRows) : maxRows;
        }
        var builder = new SqlBuilder(schema, query.Nodes, maxRows);
        var sql = builder.Read(table, source, query.Select);
        builder.EnsureAllNodesUsed();
        string? countSql = null;
        List<object?>? countParameters = null;
        if (prefer.ExactCount)
        {
            var counter = new SqlBuilder(schema, query.Nodes);
            countSql = counter.Count(table, source, query.Select);
            countParameters = counter.Parameters;
        }
        var readOnly = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        var (json, rows, total) = await RunAsync(identity, readOnly, async tx =>
        {
            var (j, n) = await tx.QueryJsonAsync(sql, builder.Parameters, ct).ConfigureAwait(false);
            long? t = null;
            if (countSql is not null)
            {
                t = (long)(await tx.ExecuteScalarAsync(countSql, countParameters!, ct).ConfigureAwait(false))!;
            }
            return (j, n, t);
        }, ct).ConfigureAwait(false);

        var offset = query.Root.Offset ?? 0;
        var status = StatusCodes.Status200OK;
        if (total is { } all)
        {
            if (rows == 0 && offset > 0 && offset >= all)
            {
                throw new PostgrestError(416, "PGRST103", "Requested range not satisfiable",
                    $"An offset of {offset} was requested, but there are only {all} rows.", null);
            }
            if (offset > 0 || offset + rows < all)
            {
                status = StatusCodes.Status206PartialContent;
            }
        }
        http.Response.Headers["Content-Range"] = ContentRange(offset, rows, total);
        return Respond(http, status, json, rows, WantsObject(http));
    }

    private async Task<IResult> InsertAsync(HttpContext http, RequestIdentity identity, SchemaSnapshot schema, DbTable table, ParsedQuery query, Preferences prefer, CancellationToken ct)
    {
        var body = await ReadJsonBodyAsync(http, ct).ConfigureAwait(false);
        var rows = body switch
        {
            JsonArray array when array.All(r => r is JsonObject) => array.Cast<JsonObject>().ToList(),
            JsonObject obj => [obj],
            _ => throw new PostgrestError(400, "PGRST102", "All object keys must match", null, null),
        };
        IReadOnlyList<string>? columns = query.Columns;
        if (columns is null)
        {
            var union = new List<string>();
            foreach (var row in rows)
            {
                foreach (var key in row.Select(p => p.Key))
                {
                    if (!union.Contains(key, StringComparer.Ordinal))
                    {
                        union.Add(key);
                    }
                }
            }
            columns = union;
        }
        foreach (var c in columns)
        {
            RequireWritableColumn(table, c);
        }
        IReadOnlyList<string>? conflict = null;
        var ignore = false;
        if (prefer.Resolution is "merge-duplicates" or "ignore-duplicates")
        {
            ignore = prefer.Resolution == "ignore-duplicates";
            conflict = query.OnConflict ?? table.PrimaryKey;
            if (conflict.Count == 0)
            {
                throw new PostgrestError(400, "PGRST100", "failed to parse on_conflict parameter", $"'{table.Name}' has no primary key; give on_conflict", null);
            }
            foreach (var c in conflict)
            {
                _ = SqlBuilder.Column(table, c);
            }
        }

        // Prefer missing=default with rows of different shapes: each row alone, so a missing key takes its default.
        var batches = new List<(IReadOnlyList<string> Columns, string Json)>();
        var allColumns = columns;
        List<string> Present(JsonObject row) => allColumns.Where(row.ContainsKey).ToList();
        if (prefer.Missing == "default" && rows.Select(r => string.Join(',', Present(r))).Distinct().Count() > 1)
        {
            batches.AddRange(rows.Select(r => ((IReadOnlyList<string>)Present(r), new JsonArray(r.DeepClone()).ToJsonString())));
        }
        else
        {
            batches.Add((columns, body is JsonArray ? body.ToJsonString() : new JsonArray(body!.DeepClone()).ToJsonString()));
        }
        var representation = prefer.Representation || WantsObject(http);
        var result = await RunAsync(identity, false, async tx =>
        {
            var jsonParts = new List<string>();
            long affected = 0;
            foreach (var (cols, json) in batches)
            {
                var builder = new SqlBuilder(schema, query.Nodes);
                var alias = builder.NextAlias();
                var insert = builder.Insert(table, alias, cols, json, conflict, ignore, representation);
                if (representation)
                {
                    var sql = builder.Representation(table, insert, query.Select, alias);
                    builder.EnsureAllNodesUsed();
                    var (j, n) = await tx.QueryJsonAsync(sql, builder.Parameters, ct).ConfigureAwait(false);
                    jsonParts.Add(j);
                    affected += n;
                }
                else
                {
                    affected += await tx.ExecuteNonQueryAsync(insert, builder.Parameters, ct).ConfigureAwait(false);
                }
            }
            var combined = jsonParts.Count == 1 ? jsonParts[0] : "[" + string.Join(",", jsonParts.Select(p => p.Trim()[1..^1]).Where(p => p.Trim().Length > 0)) + "]";
            CheckSingular(http, affected);
            return (Json: combined, Rows: affected);
        }, ct).ConfigureAwait(false);
        if (prefer.ExactCount)
        {
            http.Response.Headers["Content-Range"] = "*/" + result.Rows.ToString(CultureInfo.InvariantCulture);
        }
        AppliedPreferences(http, prefer);
        return representation
            ? Respond(http, StatusCodes.Status201Created, result.Json, result.Rows, WantsObject(http))
            : Results.StatusCode(StatusCodes.Status201Created);
    }

    private async Task<IResult> UpdateAsync(HttpContext http, RequestIdentity identity, SchemaSnapshot schema, DbTable table, ParsedQuery query, Preferences prefer, CancellationToken ct)
    {
        var body = await ReadJsonBodyAsync(http, ct).ConfigureAwait(false) as JsonObject
            ?? throw new PostgrestError(400, "PGRST102", "Empty or invalid json", null, null);
        var columns = query.Columns ?? body.Select(p => p.Key).ToList();
        foreach (var c in columns)
        {
            RequireWritableColumn(table, c);
        }
        var representation = prefer.Representation || WantsObject(http);
        var builder = new SqlBuilder(schema, query.Nodes);
        var alias = builder.NextAlias();
        string statement;
        if (columns.Count == 0)
        {
            // Nothing to set: PostgREST changes nothing and returns nothing.
            statement = $"select {alias}.* from {table.QualifiedName} as {alias} where false";
        }
        else
        {
            statement = builder.Update(table, alias, columns, body.ToJsonString(), query.Root.Filters, representation);
        }
        return await MutateAsync(http, identity, table, query, prefer, builder, alias, statement, representation, ct).ConfigureAwait(false);
    }

    private async Task<IResult> DeleteAsync(HttpContext http, RequestIdentity identity, SchemaSnapshot schema, DbTable table, ParsedQuery query, Preferences prefer, CancellationToken ct)
    {
        var representation = prefer.Representation || WantsObject(http);
        var builder = new SqlBuilder(schema, query.Nodes);
        var alias = builder.NextAlias();
        var statement = builder.Delete(table, alias, query.Root.Filters, representation);
        return await MutateAsync(http, identity, table, query, prefer, builder, alias, statement, representation, ct).ConfigureAwait(false);
    }

    private async Task<IResult> MutateAsync(HttpContext http, RequestIdentity identity, DbTable table, ParsedQuery query, Preferences prefer, SqlBuilder builder, string alias, string statement, bool representation, CancellationToken ct)
    {
        var sql = representation ? builder.Representation(table, statement, query.Select, alias) : statement;
        builder.EnsureAllNodesUsed();
        var result = await RunAsync(identity, false, async tx =>
        {
            string json = "[]";
            long rows;
            if (representation)
            {
                (json, rows) = await tx.QueryJsonAsync(sql, builder.Parameters, ct).ConfigureAwait(false);
            }
            else
            {
                rows = Math.Max(0, await tx.ExecuteNonQueryAsync(sql, builder.Parameters, ct).ConfigureAwait(false));
            }
            CheckSingular(http, rows);
            return (Json: json, Rows: rows);
        }, ct).ConfigureAwait(false);
        if (prefer.ExactCount)
        {
            http.Response.Headers["Content-Range"] = "*/" + result.Rows.ToString(CultureInfo.InvariantCulture);
        }
        AppliedPreferences(http, prefer);
        return representation
            ? Respond(http, StatusCodes.Status200OK, result.Json, result.Rows, WantsObject(http))
            : Results.NoContent();
    }

    // ---------------------------------------------------------------- rpc

    public async Task<IResult> HandleRpcAsync(HttpContext http, string name)
    {
        RequestIdentity? identity = null;
        try
        {
            identity = await IdentifyAsync(http).ConfigureAwait(false);
            CheckProfile(http);
            var ct = http.RequestAborted;
            var schema = await _schema.GetAsync(ct).ConfigureAwait(false);
            if (!schema.Functions.ContainsKey(name))
            {
                schema = await _schema.ReloadAsync(false, ct).ConfigureAwait(false);
            }
            var overloads = schema.Functions.GetValueOrDefault(name) ?? [];
            var isPost = HttpMethods.IsPost(http.Request.Method);
            var args = new Dictionary<string, string?>(StringComparer.Ordinal);
            var argNames = overloads.SelectMany(f => f.InArgs.Select(a => a.Name)).ToHashSet(StringComparer.Ordinal);
            if (isPost)
            {
                var body = http.Request.ContentLength == 0 ? new JsonObject() : await ReadJsonBodyAsync(http, ct, allowEmpty: true).ConfigureAwait(false) ?? new JsonObject();
                if (body is not JsonObject obj)
                {
                    throw new PostgrestError(400, "PGRST102", "Empty or invalid json", null, null);
                }
                foreach (var (key, value) in obj)
                {
                    args[key] = ArgText(value);
                }
            }
            else
            {
                foreach (var (key, values) in http.Request.Query)
                {
                    if (argNames.Contains(key))
                    {
                        args[key] = values.ToString();
                    }
                }
            }
            var function = overloads.FirstOrDefault(f =>
                args.Keys.All(k => f.InArgs.Any(a => a.Name == k)) && f.RequiredArgs.All(a => args.ContainsKey(a.Name)))
                ?? throw new PostgrestError(404, "PGRST202",
                    $"Could not find the function {schema.Schema}.{name}({string.Join(", ", args.Keys.Order(StringComparer.Ordinal))}) in the schema cache",
                    $"Searched for the function {schema.Schema}.{name} with parameters {string.Join(", ", args.Keys.Order(StringComparer.Ordinal))} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.",
                    null);
            var callArgs = function.InArgs.Where(a => args.ContainsKey(a.Name)).Select(a => (a, ToArgValue(a, args[a.Name]))).ToList();
            var query = ParseQuery(http, isPost ? null : argNames);
            var prefer = Preferences.Parse(http.Request.Headers["Prefer"]);
            var readOnly = !isPost;

            if (function.AsRelation is { } relation)
            {
                return await ReadFunctionAsync(http, identity, schema, relation, query, prefer, function, callArgs, ct).ConfigureAwait(false);
            }

            var scalarBuilder = new SqlBuilder(schema);
            var scalarCall = scalarBuilder.Call(function, callArgs);
            if (function.ReturnsVoid)
            {
                await RunAsync(identity, readOnly, async tx =>
                {
                    await tx.ExecuteNonQueryAsync("select " + scalarCall, scalarBuilder.Parameters, ct).ConfigureAwait(false);
                    return 0;
                }, ct).ConfigureAwait(false);
                return Results.NoContent();
            }
            var sql = function.ReturnsSet
                ? $"select coalesce(json_agg(_x._v), '[]'::json)::text, count(*) from {scalarCall} as _x(_v)"
                : $"select to_json({scalarCall})::text, 1::bigint";
            var (json, _) = await RunAsync(identity, readOnly, tx => tx.QueryJsonAsync(sql, scalarBuilder.Parameters, ct), ct).ConfigureAwait(false);
            return HttpMethods.IsHead(http.Request.Method) ? Results.Ok() : Results.Content(json, "application/json; charset=utf-8");
        }
        catch (PostgrestError e)
        {
            return e.ToResult(http);
        }
        catch (PostgresException e)
        {
            return PostgrestError.FromPostgres(e, identity?.IsAnonymous ?? true).ToResult(http);
        }
        catch (NpgsqlException e)
        {
            return new PostgrestError(503, "PGRST000", "Database client error. Retrying the connection.", e.Message, null).ToResult(http);
        }
        catch (BadHttpRequestException e)
        {
            return RequestBody.Refused(e).ToResult(http);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new PostgrestError(500, "PGRSTX00", "Internal error", e.GetType().Name, null).ToResult(http);
        }
    }

    private async Task<IResult> ReadFunctionAsync(HttpContext http, RequestIdentity identity, SchemaSnapshot schema, DbTable relation, ParsedQuery query, Preferences prefer, DbFunction function, List<(DbColumn, string?)> callArgs, CancellationToken ct)
    {
        // The call's parameters come first; the relation read is the call itself.
        var builder = new SqlBuilder(schema, query.Nodes);
        var call = builder.Call(function, callArgs);
        var sql = builder.Read(relation, call, query.Select);
        builder.EnsureAllNodesUsed();
        var readOnly = !HttpMethods.IsPost(http.Request.Method);
        var (json, rows) = await RunAsync(identity, readOnly, tx => tx.QueryJsonAsync(sql, builder.Parameters, ct), ct).ConfigureAwait(false);
        var offset = query.Root.Offset ?? 0;
        http.Response.Headers["Content-Range"] = ContentRange(offset, rows, prefer.ExactCount && query.Root.Limit is null && offset == 0 ? rows : null);
        if (!function.ReturnsSet)
        {
            // A function returning one composite value answers with an object (or null).
            using var doc = JsonDocument.Parse(json);
            var single = doc.RootElement.GetArrayLength() > 0 ? doc.RootElement[0].GetRawText() : "null";
            return HttpMethods.IsHead(http.Request.Method) ? Results.Ok() : Results.Content(single, "application/json; charset=utf-8");
        }
        return Respond(http, StatusCodes.Status200OK, json, rows, WantsObject(http));
    }

    private static string? ArgText(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => value.ToJsonString(),
    };

    private static string? ToArgValue(DbColumn arg, string? value)
    {
        // A JSON array for a Postgres array parameter becomes an array literal.
        if (value is null || !arg.Type.EndsWith("[]", StringComparison.Ordinal) || !value.StartsWith('['))
        {
            return value;
        }
        try
        {
            var items = JsonNode.Parse(value) as JsonArray;
            if (items is null)
            {
                return value;
            }
            var sb = new StringBuilder("{");
            for (var i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }
                var text = ArgText(items[i]);
                sb.Append(text is null ? "NULL" : "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
            }
            return sb.Append('}').ToString();
        }
        catch (JsonException)
        {
            return value;
        }
    }

    // ---------------------------------------------------------------- request parsing

    private static ParsedQuery ParseQuery(HttpContext http, IReadOnlySet<string>? rpcArgs)
    {
        var nodes = new Dictionary<string, QueryNode>(StringComparer.Ordinal) { [""] = new QueryNode() };
        QueryNode NodeFor(string path)
        {
            if (!nodes.TryGetValue(path, out var node))
            {
                nodes[path] = node = new QueryNode();
            }
            return node;
        }
        string? select = null;
        IReadOnlyList<string>? columns = null;
        IReadOnlyList<string>? onConflict = null;
        foreach (var (key, values) in http.Request.Query)
        {
            if (rpcArgs is not null && rpcArgs.Contains(key))
            {
                continue;
            }
            foreach (var value in values)
            {
                var v = value ?? "";
                switch (key)
                {
                    case "select": select = v; continue;
                    case "columns": columns = NameList(v); continue;
                    case "on_conflict": onConflict = NameList(v); continue;
                    case "apikey": continue;
                }
                var (path, last) = SplitPath(key);
                var negatedLogic = false;
                if (last is "or" or "and" && (path == "not" || path.EndsWith(".not", StringComparison.Ordinal)))
                {
                    negatedLogic = true;
                    path = path == "not" ? "" : path[..^4];
                }
                var node = NodeFor(path);
                switch (last)
                {
                    case "order":
                        node.Order.AddRange(QueryParser.ParseOrder(v));
                        break;
                    case "limit":
                        node.Limit = QueryParser.ParseNonNegative("limit", v);
                        break;
                    case "offset":
                        node.Offset = QueryParser.ParseNonNegative("offset", v);
                        break;
                    case "or":
                    case "and":
                        node.Filters.Add(QueryParser.ParseLogic(last == "or", negatedLogic, v));
                        break;
                    default:
                        node.Filters.Add(QueryParser.ParseFilter(last, v));
                        break;
                }
            }
        }
        return new ParsedQuery(QueryParser.ParseSelect(select), nodes, columns, onConflict);
    }

    private static (string Path, string Last) SplitPath(string key)
    {
        var dot = key.LastIndexOf('.');
        return dot < 0 ? ("", key) : (key[..dot], key[(dot + 1)..]);
    }

    private static List<string> NameList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(QueryParser.Unquote).ToList();

    private static void ApplyRangeHeader(HttpContext http, QueryNode root)
    {
        if (QueryParser.ParseRange(http.Request.Headers.Range.ToString()) is not { } range)
        {
            return;
        }
        root.Offset = range.From;
        if (range.To is { } to)
        {
            // Saturating: a range up to long.MaxValue from 0 means "all rows", never a negative LIMIT.
            var count = to - range.From == long.MaxValue ? long.MaxValue : to - range.From + 1;
            root.Limit = root.Limit is { } limit ? Math.Min(limit, count) : count;
        }
    }

    private static void RequireWritableColumn(DbTable table, string column)
    {
        if (table.Find(column) is null)
        {
            throw new PostgrestError(400, "PGRST204", $"Could not find the '{column}' column of '{table.Name}' in the schema cache", null, null);
        }
    }

    private static void CheckProfile(HttpContext http)
    {
        foreach (var header in new[] { "Accept-Profile", "Content-Profile" })
        {
            var profile = http.Request.Headers[header].ToString();
            if (profile.Length > 0 && profile != "public")
            {
                throw new PostgrestError(406, "PGRST106", "The schema must be one of the following: public", null, null);
            }
        }
    }

    private static async Task<JsonNode?> ReadJsonBodyAsync(HttpContext http, CancellationToken ct, bool allowEmpty = false)
    {
        var text = await RequestBody.ReadTextAsync(http, ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return allowEmpty ? null : throw new PostgrestError(400, "PGRST102", "Empty or invalid json", null, null);
        }
        try
        {
            var node = JsonNode.Parse(text, documentOptions: RequestBody.JsonOptions);
            RequestBody.RefuseLoneSurrogates(node);
            return node;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: System.Text.Json will not decode an escaped lone surrogate in a key.
            throw new PostgrestError(400, "PGRST102", "Empty or invalid json", e.Message, null);
        }
    }

    // ---------------------------------------------------------------- identity and execution

    private async Task<RequestIdentity> IdentifyAsync(HttpContext http)
    {
        var bearer = http.BearerToken();
        JwtValidation validation;
        if (!string.IsNullOrEmpty(bearer))
        {
            validation = await _context.Jwt.ValidateAsync(bearer).ConfigureAwait(false);
            if (!validation.IsValid)
            {
                throw validation.Expired
                    ? new PostgrestError(401, "PGRST303", "JWT expired", null, null)
                    : new PostgrestError(401, "PGRST301", "JWSError JWSInvalidSignature", null, null);
            }
        }
        else
        {
            validation = http.ApiKey();
        }
        var role = validation.Role;
        if (string.IsNullOrEmpty(role))
        {
            role = "anon";
        }
        return new RequestIdentity(role, validation.PayloadJson ?? "{}");
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction as the request's role and commits it. A pooled connection that
    /// broke (for example after PostgreSQL restarted) fails on the first statement, before anything ran or could
    /// commit: the pool is cleared and the request gets one fresh connection.
    /// </summary>
    private async Task<T> RunAsync<T>(RequestIdentity identity, bool readOnly, Func<RequestTransaction, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            RequestTransaction? transaction = null;
            try
            {
                transaction = await RequestTransaction.BeginAsync(_db, identity, readOnly, ct).ConfigureAwait(false);
                var result = await work(transaction).ConfigureAwait(false);
                await transaction.CommitAsync(ct).ConfigureAwait(false);
                return result;
            }
            catch (NpgsqlException e) when (e is not PostgresException && attempt == 1 && transaction?.ReachedServer != true && !ct.IsCancellationRequested)
            {
                _db.Clear();
            }
            finally
            {
                if (transaction is not null)
                {
                    await transaction.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    // ---------------------------------------------------------------- responses

    private static bool WantsObject(HttpContext http) =>
        http.Request.Headers.Accept.ToString().Contains(ObjectMediaType, StringComparison.OrdinalIgnoreCase);

    private static void CheckSingular(HttpContext http, long rows)
    {
        if (WantsObject(http) && rows != 1)
        {
            throw Singular(rows);
        }
    }

    private static PostgrestError Singular(long rows) =>
        new(406, "PGRST116", "Cannot coerce the result to a single JSON object", $"The result contains {rows} rows", null);

    private static IResult Respond(HttpContext http, int status, string json, long rows, bool asObject)
    {
        if (asObject)
        {
            if (rows != 1)
            {
                return Singular(rows).ToResult(http);
            }
            using var doc = JsonDocument.Parse(json);
            json = doc.RootElement[0].GetRawText();
        }
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return Results.StatusCode(status);
        }
        return Results.Content(json, asObject ? ObjectMediaType + "; charset=utf-8" : "application/json; charset=utf-8", statusCode: status);
    }

    private static string ContentRange(long offset, long rows, long? total)
    {
        var totalText = total is { } t ? t.ToString(CultureInfo.InvariantCulture) : "*";
        return rows == 0
            ? "*/" + totalText
            : $"{offset.ToString(CultureInfo.InvariantCulture)}-{(offset + rows - 1).ToString(CultureInfo.InvariantCulture)}/{totalText}";
    }

    private static void AppliedPreferences(HttpContext http, Preferences prefer)
    {
        var applied = new List<string>();
        if (prefer.Return is { } r)
        {
            applied.Add("return=" + r);
        }
        if (prefer.Resolution is { } res)
        {
            applied.Add("resolution=" + res);
        }
        if (prefer.Count is { } c)
        {
            applied.Add("count=" + c);
        }
        if (applied.Count > 0)
        {
            http.Response.Headers["Preference-Applied"] = string.Join(", ", applied);
        }
    }
}
