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
internal sealed partial class RestService : IAsyncDisposable
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
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failure(e, identity).ToResult(http);
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
}
