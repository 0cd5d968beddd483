using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Npgsql;
using StrideCampus.AiChat.LocalStack.Auth;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary> /rest/v1/rpc: calling functions, their arguments from the body or the query, and reading what they return. </summary>
internal sealed partial class RestService
{
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
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failure(e, identity).ToResult(http);
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
}
