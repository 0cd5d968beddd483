using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Npgsql;
using StrideCampus.AiChat.LocalStack.Auth;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary> Request parsing (query, headers, body, identity), the transaction per request, and responses. </summary>
internal sealed partial class RestService
{
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

    /// <summary>What PostgREST answers for a failed table or RPC request: its own errors as they are, PostgreSQL's
    /// mapped to status codes, a lost connection as 503, a refused body as 4xx, anything else as 500.</summary>
    private static PostgrestError Failure(Exception e, RequestIdentity? identity) => e switch
    {
        PostgrestError error => error,
        PostgresException postgres => PostgrestError.FromPostgres(postgres, identity?.IsAnonymous ?? true),
        NpgsqlException npgsql => new PostgrestError(503, "PGRST000", "Database client error. Retrying the connection.", npgsql.Message, null),
        BadHttpRequestException bad => RequestBody.Refused(bad),
        _ => new PostgrestError(500, "PGRSTX00", "Internal error", e.GetType().Name, null),
    };
}
