using StrideCampus.AiChat.LocalStack.Rest;

namespace StrideCampus.AiChat.LocalStack.Tests.Rest;

/// <summary>PostgREST query grammar, parsed without a database.</summary>
public sealed class QueryParserTests
{
    [Fact]
    public void Select_parses_columns_aliases_casts_and_embeddings()
    {
        var items = QueryParser.ParseSelect(" id, name:title , n::text, msgs:ai_chat_messages!inner(id, content), ai_chat_sessions!fk_x(*)");
        Assert.Equal(5, items.Count);
        Assert.Equal(new SelectItem("id"), items[0]);
        Assert.Equal(new SelectItem("title", "name"), items[1]);
        Assert.Equal("text", items[2].Cast);
        Assert.True(items[3].IsEmbed);
        Assert.True(items[3].Inner);
        Assert.Equal("msgs", items[3].OutputName);
        Assert.Equal(["id", "content"], items[3].Children!.Select(c => c.Name));
        Assert.Equal("fk_x", items[4].Hint);
        Assert.True(items[4].Children![0].IsStar);
        Assert.True(QueryParser.ParseSelect(null)[0].IsStar);
        Assert.Equal("we\"ird", QueryParser.ParseSelect("\"we\"\"ird\"")[0].Name);
    }

    [Fact]
    public void Json_paths_parse_in_select_and_references()
    {
        var items = QueryParser.ParseSelect("metadata->a->>b,x:metadata->0,metadata->>-1::int");
        Assert.Equal("metadata->a->>b", items[0].Name);
        Assert.Equal("b", items[0].OutputName);
        Assert.Equal("x", items[1].OutputName);
        Assert.Equal("metadata->>-1", items[2].Name);
        Assert.Equal("int", items[2].Cast);
        var (column, path) = QueryParser.ParseJsonPath("metadata->a->>b");
        Assert.Equal("metadata", column);
        Assert.Equal([("a", false), ("b", true)], path);
        Assert.Equal("PGRST100", Assert.Throws<PostgrestError>(() => QueryParser.ParseSelect("metadata->(x)")).Code);
    }

    [Theory]
    [InlineData("id,")]
    [InlineData("id;drop")]
    [InlineData("(select 1)")]
    [InlineData("a(b")]
    [InlineData("a:b:c")]
    [InlineData("id::regclass")]
    [InlineData("id!inner")]
    [InlineData("a:\"x\u0000y\"")]
    public void Select_refuses_what_it_cannot_parse(string select)
    {
        var e = Assert.Throws<PostgrestError>(() => QueryParser.ParseSelect(select));
        Assert.Equal("PGRST100", e.Code);
        Assert.Equal(400, e.Status);
    }

    [Fact]
    public void Filters_keep_the_value_verbatim_and_parse_lists()
    {
        Assert.Equal(new FilterCondition("title", "eq", "a.b,c(d)", null, false), QueryParser.ParseFilter("title", "eq.a.b,c(d)"));
        Assert.Equal(new FilterCondition("title", "like", "*x*", null, true), QueryParser.ParseFilter("title", "not.like.*x*"));
        var list = QueryParser.ParseFilter("id", "in.(1,\"a,b\",\"q\\\"uote\",)");
        Assert.Equal(["1", "a,b", "q\"uote", ""], list.Values!);
        Assert.Equal("null", QueryParser.ParseFilter("x", "is.NULL").Value);
        Assert.Empty(QueryParser.ParseFilter("id", "in.()").Values!);
    }

    [Theory]
    [InlineData("eq")]
    [InlineData("raw.1=1")]
    [InlineData("is.maybe")]
    [InlineData("in.1,2")]
    [InlineData("in.(1,2))or((1")]
    [InlineData("in.(\"open)")]
    [InlineData("cs.{1}")]
    public void Bad_filters_are_pgrst100(string expression)
    {
        Assert.Equal("PGRST100", Assert.Throws<PostgrestError>(() => QueryParser.ParseFilter("col", expression)).Code);
    }

    [Fact]
    public void Logic_trees_nest_and_unquote()
    {
        var tree = QueryParser.ParseLogic(true, false, "(title.eq.\"a,b\",and(is_user.is.true,not.or(status.eq.x,id.in.(1,2))),content.not.ilike.*hi*)");
        Assert.True(tree.IsOr);
        Assert.Equal(3, tree.Children.Count);
        Assert.Equal(new FilterCondition("title", "eq", "a,b", null, false), tree.Children[0]);
        var and = Assert.IsType<LogicCondition>(tree.Children[1]);
        Assert.False(and.IsOr);
        var notOr = Assert.IsType<LogicCondition>(and.Children[1]);
        Assert.True(notOr.Negated);
        Assert.Equal(["1", "2"], ((FilterCondition)notOr.Children[1]).Values!);
        Assert.True(((FilterCondition)tree.Children[2]).Negated);
    }

    [Theory]
    [InlineData("title.eq.1")]
    [InlineData("(title.eq.1")]
    [InlineData("()")]
    [InlineData("(title)")]
    [InlineData("(title.eq.1))")]
    [InlineData("(and(title.eq.1)")]
    public void Bad_logic_trees_are_pgrst100(string expression)
    {
        Assert.Equal("PGRST100", Assert.Throws<PostgrestError>(() => QueryParser.ParseLogic(true, false, expression)).Code);
    }

    [Fact]
    public void Nesting_is_bounded()
    {
        var deep = "(" + string.Concat(Enumerable.Repeat("or(", 100)) + "a.eq.1" + new string(')', 101);
        Assert.Equal("PGRST100", Assert.Throws<PostgrestError>(() => QueryParser.ParseLogic(true, false, deep)).Code);
        var select = string.Concat(Enumerable.Repeat("a(", 100)) + "*" + new string(')', 100);
        Assert.Equal("PGRST100", Assert.Throws<PostgrestError>(() => QueryParser.ParseSelect(select)).Code);
    }

    [Fact]
    public void Order_and_ranges()
    {
        Assert.Equal(
            [new OrderTerm("a", false, null), new OrderTerm("b", true, false), new OrderTerm("c", false, true)],
            QueryParser.ParseOrder("a,b.desc.nullslast,c.asc.nullsfirst"));
        Assert.Equal("PGRST100", Assert.Throws<PostgrestError>(() => QueryParser.ParseOrder("a.sideways")).Code);
        Assert.Equal((0L, (long?)9L), QueryParser.ParseRange("0-9"));
        Assert.Equal((5L, (long?)null), QueryParser.ParseRange("items=5-"));
        Assert.Null(QueryParser.ParseRange("bytes"));
        Assert.Equal(416, Assert.Throws<PostgrestError>(() => QueryParser.ParseRange("9-1")).Status);
        Assert.Equal("PGRST100", Assert.Throws<PostgrestError>(() => QueryParser.ParseNonNegative("limit", "-1")).Code);
    }

    [Theory]
    [InlineData("23505", false, 409)]
    [InlineData("23503", false, 409)]
    [InlineData("23514", false, 400)]
    [InlineData("42501", true, 401)]
    [InlineData("42501", false, 403)]
    [InlineData("P0001", false, 400)]
    [InlineData("P0002", false, 500)]
    [InlineData("42P01", false, 404)]
    [InlineData("42883", false, 404)]
    [InlineData("25006", false, 405)]
    [InlineData("08006", false, 503)]
    [InlineData("22P02", false, 400)]
    public void Sqlstates_map_to_postgrest_statuses(string sqlState, bool anonymous, int status) =>
        Assert.Equal(status, PostgrestError.StatusFor(sqlState, anonymous));
}
