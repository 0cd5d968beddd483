using StrideCampus.AiChat.LocalStack.Rest;

namespace StrideCampus.AiChat.LocalStack.Tests.Rest;

/// <summary>SQL generation: only catalog names reach the text, every value is a parameter.</summary>
public sealed class SqlBuilderTests
{
    private static readonly DbTable Sessions = new("public", "sessions", [new("id", "uuid", true, true), new("title", "text", true, true)], ["id"]);
    private static readonly DbTable Messages = new("public", "messages", [new("id", "uuid", true, true), new("session_id", "uuid", true, false), new("content", "text", true, true)], ["id"]);

    private static SchemaSnapshot Schema() => new(
        "public",
        new Dictionary<string, DbTable> { ["sessions"] = Sessions, ["messages"] = Messages },
        [new DbRelationship("messages_session_fk", "messages", ["session_id"], "sessions", ["id"])],
        new Dictionary<string, IReadOnlyList<DbFunction>>());

    [Fact]
    public void Read_quotes_names_and_parameterises_values()
    {
        var root = new QueryNode { Limit = 10, Offset = 5 };
        root.Filters.Add(QueryParser.ParseFilter("title", "eq.x'); drop table sessions; --"));
        root.Filters.Add(QueryParser.ParseLogic(true, false, "(title.like.*a*,id.in.(1,2))"));
        root.Order.Add(new OrderTerm("title", true, false));
        var child = new QueryNode();
        child.Order.Add(new OrderTerm("content", false, null));
        var builder = new SqlBuilder(Schema(), new Dictionary<string, QueryNode> { [""] = root, ["messages"] = child });

        var sql = builder.Read(Sessions, Sessions.QualifiedName, QueryParser.ParseSelect("t:title,messages(*)"));
        builder.EnsureAllNodesUsed();

        Assert.DoesNotContain("drop", sql, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("_t0.\"title\" as \"t\"", sql, StringComparison.Ordinal);
        Assert.Contains("from \"public\".\"messages\" as _t1 where _t1.\"session_id\" = _t0.\"id\" order by _t1.\"content\" asc", sql, StringComparison.Ordinal);
        Assert.Contains("(_t0.\"title\" = cast($1 as text))", sql, StringComparison.Ordinal);
        Assert.Contains("_t0.\"title\"::text like $2", sql, StringComparison.Ordinal);
        Assert.Contains("order by _t0.\"title\" desc nulls last limit $5 offset $6", sql, StringComparison.Ordinal);
        Assert.Equal(["x'); drop table sessions; --", "%a%", "1", "2", 10L, 5L], builder.Parameters);
    }

    [Fact]
    public void Json_path_keys_are_parameters()
    {
        var table = new DbTable("public", "t", [new("id", "uuid", true, true), new("meta", "jsonb", true, true), new("title", "text", true, true)], ["id"]);
        var schema = new SchemaSnapshot("public", new Dictionary<string, DbTable> { ["t"] = table }, [], new Dictionary<string, IReadOnlyList<DbFunction>>());
        var root = new QueryNode();
        root.Filters.Add(QueryParser.ParseFilter("meta->>k'; drop", "eq.v"));
        var builder = new SqlBuilder(schema, new Dictionary<string, QueryNode> { [""] = root });
        var sql = builder.Read(table, table.QualifiedName, QueryParser.ParseSelect("meta->a->>b"));
        Assert.Contains("((_t0.\"meta\"->$1)->>$2) as \"b\"", sql, StringComparison.Ordinal);
        Assert.Contains("((_t0.\"meta\"->>$3) = cast($4 as text))", sql, StringComparison.Ordinal);
        Assert.Equal(["a", "b", "k'; drop", "v"], builder.Parameters);
        Assert.Equal("PGRST100", Assert.Throws<PostgrestError>(() => new SqlBuilder(schema).Read(table, table.QualifiedName, QueryParser.ParseSelect("title->a"))).Code);
    }

    [Fact]
    public void Unknown_names_never_reach_sql()
    {
        var builder = new SqlBuilder(Schema());
        Assert.Equal("42703", Assert.Throws<PostgrestError>(() => builder.Read(Sessions, Sessions.QualifiedName, QueryParser.ParseSelect("\"title\"\"; drop\""))).Code);
        Assert.Equal("PGRST200", Assert.Throws<PostgrestError>(() => builder.Read(Sessions, Sessions.QualifiedName, QueryParser.ParseSelect("*,pg_authid(*)"))).Code);
        var orphan = new SqlBuilder(Schema(), new Dictionary<string, QueryNode> { [""] = new(), ["other"] = new() });
        _ = orphan.Read(Sessions, Sessions.QualifiedName, QueryParser.ParseSelect("*"));
        Assert.Equal("PGRST108", Assert.Throws<PostgrestError>(orphan.EnsureAllNodesUsed).Code);
        Assert.Equal("\"a\"\"b\"", SqlBuilder.Quote("a\"b"));
    }

    [Fact]
    public void Many_to_one_embeds_as_an_object_and_upserts_update_non_key_columns()
    {
        var builder = new SqlBuilder(Schema());
        var sql = builder.Read(Messages, Messages.QualifiedName, QueryParser.ParseSelect("id,s:sessions(title)"));
        Assert.Contains("(select row_to_json(_e) from (select _t1.\"title\" as \"title\" from \"public\".\"sessions\" as _t1 where _t1.\"id\" = _t0.\"session_id\" limit 1) _e) as \"s\"", sql, StringComparison.Ordinal);

        var insert = new SqlBuilder(Schema()).Insert(Sessions, "_t0", ["id", "title"], "[]", ["id"], ignoreDuplicates: false, returning: true);
        Assert.Equal("insert into \"public\".\"sessions\" as _t0 (\"id\", \"title\") select \"id\", \"title\" from json_populate_recordset(null::\"public\".\"sessions\", $1::json) _j on conflict (\"id\") do update set \"title\" = excluded.\"title\" returning _t0.*", insert);
    }
}
