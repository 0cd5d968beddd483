using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.Client.Tests.Http;

namespace StrideCampus.AiChat.Client.Tests.Rest;

public sealed class PostgrestQueryTests : IDisposable
{
    private readonly ScriptedHttpHandler _handler = new();
    private readonly HttpClient _http;
    private readonly PostgrestClient _client;

    public PostgrestQueryTests()
    {
        _http = new HttpClient(_handler);
        _client = new PostgrestClient(_http, new PostgrestClientOptions { Url = new Uri("http://localhost:54321"), ApiKey = "anon-key" });
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    private PostgrestQuery<TestRow> Items => _client.From("items", RestTestJsonContext.Default.TestRow);

    private static string Query(PostgrestQuery<TestRow> query) => query.ToUri().PathAndQuery;

    [Fact]
    public void Default_query_selects_all_columns() =>
        Assert.Equal("/rest/v1/items?select=*", Query(Items));

    [Fact]
    public void Project_url_with_a_trailing_slash_or_path_prefix_is_kept()
    {
        var client = new PostgrestClient(_http, new PostgrestClientOptions { Url = new Uri("https://proxy.example/supabase/"), ApiKey = "k" });
        Assert.Equal(
            "https://proxy.example/supabase/rest/v1/items?select=*",
            client.From("items", RestTestJsonContext.Default.TestRow).ToUri().AbsoluteUri);
    }

    [Fact]
    public void Select_removes_whitespace_outside_quotes_and_keeps_embedding_readable()
    {
        Assert.Equal("/rest/v1/items?select=*,ai_chat_messages(*)", Query(Items.Select(" * , ai_chat_messages ( * ) ")));
        Assert.Equal("/rest/v1/items?select=id,%22my%20col%22", Query(Items.Select("id, \"my col\"")));
    }

    [Theory]
    [InlineData("eq")]
    [InlineData("neq")]
    [InlineData("gt")]
    [InlineData("gte")]
    [InlineData("lt")]
    [InlineData("lte")]
    [InlineData("like")]
    [InlineData("ilike")]
    public void Each_comparison_filter_writes_column_equals_operator_dot_value(string op)
    {
        var query = op switch
        {
            "eq" => Items.Eq("name", "x"),
            "neq" => Items.Neq("name", "x"),
            "gt" => Items.Gt("name", "x"),
            "gte" => Items.Gte("name", "x"),
            "lt" => Items.Lt("name", "x"),
            "lte" => Items.Lte("name", "x"),
            "like" => Items.Like("name", "x"),
            "ilike" => Items.ILike("name", "x"),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
        Assert.Equal($"/rest/v1/items?select=*&name={op}.x", Query(query));
    }

    [Fact]
    public void Values_are_percent_encoded_so_they_cannot_add_parameters()
    {
        Assert.Equal(
            "/rest/v1/items?select=*&name=eq.a%20b%26c%3Dd%2Be%23f%25g%3Fh",
            Query(Items.Eq("name", "a b&c=d+e#f%g?h")));
        Assert.Equal("/rest/v1/items?select=*&name=eq.%C3%A9t%C3%A9", Query(Items.Eq("name", "été")));
        // Reserved PostgREST characters in a simple operator's value need no quoting: the rest of the string is the value.
        Assert.Equal("/rest/v1/items?select=*&name=eq.a,b(c):d.e", Query(Items.Eq("name", "a,b(c):d.e")));
    }

    [Fact]
    public void Like_patterns_keep_their_wildcards()
    {
        Assert.Equal("/rest/v1/items?select=*&name=like.*abc%25", Query(Items.Like("name", "*abc%")));
        Assert.Equal("/rest/v1/items?select=*&name=ilike.%25ABC%25", Query(Items.ILike("name", "%ABC%")));
    }

    [Theory]
    [InlineData(null, "null")]
    [InlineData("null", "null")]
    [InlineData("TRUE", "true")]
    [InlineData("false", "false")]
    [InlineData("unknown", "unknown")]
    public void Is_accepts_null_true_false_unknown(string? value, string expected) =>
        Assert.Equal($"/rest/v1/items?select=*&deleted_at=is.{expected}", Query(Items.Is("deleted_at", value)));

    [Fact]
    public void Is_refuses_other_values() =>
        Assert.Throws<ArgumentException>(() => Items.Is("deleted_at", "1); drop table x"));

    [Fact]
    public void In_quotes_values_with_reserved_characters_and_escapes_quotes_and_backslashes()
    {
        var query = Items.In("name", ["a", "b,c", "d\"e", "f g", "", "x\\y", "(p)", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"]);
        Assert.Equal(
            "/rest/v1/items?select=*&name=in.(a,%22b,c%22,%22d%5C%22e%22,%22f%20g%22,%22%22,%22x%5C%5Cy%22,%22(p)%22,3f2504e0-4f89-11d3-9a0c-0305e82c3301)",
            Query(query));
        Assert.Equal("name=in.(a,\"b,c\",\"d\\\"e\",\"f g\",\"\",\"x\\\\y\",\"(p)\",3f2504e0-4f89-11d3-9a0c-0305e82c3301)", Uri.UnescapeDataString(query.ToUri().Query).Split('&')[1]);
    }

    [Fact]
    public void In_with_no_values_is_an_empty_list() =>
        Assert.Equal("/rest/v1/items?select=*&id=in.()", Query(Items.In("id", [])));

    [Fact]
    public void Or_wraps_the_expression_in_parentheses() =>
        Assert.Equal("/rest/v1/items?select=*&or=(status.eq.error,is_user.eq.true)", Query(Items.Or("status.eq.error,is_user.eq.true")));

    [Fact]
    public void Not_and_raw_filters()
    {
        Assert.Equal("/rest/v1/items?select=*&status=not.in.(a,b)", Query(Items.Not("status", "in", "(a,b)")));
        Assert.Equal("/rest/v1/items?select=*&tags=cs.%7Ba%7D", Query(Items.Filter("tags", "cs", "{a}")));
    }

    [Fact]
    public void Order_appends_terms_with_direction_and_nulls()
    {
        var query = Items.Order("created_at").Order("id", ascending: false, nullsFirst: false).Order("title", nullsFirst: true);
        Assert.Equal("/rest/v1/items?select=*&order=created_at.asc,id.desc.nullslast,title.asc.nullsfirst", Query(query));
    }

    [Fact]
    public void Limit_offset_and_range()
    {
        Assert.Equal("/rest/v1/items?select=*&limit=5", Query(Items.Limit(5)));
        Assert.Equal("/rest/v1/items?select=*&limit=10&offset=20", Query(Items.Range(20, 29)));
        Assert.Equal("/rest/v1/items?select=*&offset=3", Query(Items.Offset(3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Items.Limit(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Items.Range(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Items.Range(-1, 4));
    }

    [Fact]
    public void Filters_keep_their_order_and_combine_with_everything_else()
    {
        var query = Items.Select("id,name").Eq("user_id", "u1").Gte("created_at", "2024-01-01T00:00:00+00:00").Order("created_at").Range(0, 24);
        Assert.Equal(
            "/rest/v1/items?select=id,name&user_id=eq.u1&created_at=gte.2024-01-01T00:00:00%2B00:00&order=created_at.asc&limit=25&offset=0",
            Query(query));
    }

    [Fact]
    public void Builder_is_immutable()
    {
        var baseQuery = Items.Eq("a", "1");
        var derived = baseQuery.Eq("b", "2").Order("a").Limit(1).Select("a");
        Assert.Equal("/rest/v1/items?select=*&a=eq.1", Query(baseQuery));
        Assert.Equal("/rest/v1/items?select=a&a=eq.1&b=eq.2&order=a.asc&limit=1", Query(derived));
    }

    [Fact]
    public void Table_names_are_escaped_in_the_path() =>
        Assert.Equal("/rest/v1/my%20table?select=*", _client.From("my table", RestTestJsonContext.Default.TestRow).ToUri().PathAndQuery);

    [Fact]
    public void Invalid_arguments_throw_before_any_request()
    {
        Assert.Throws<ArgumentException>(() => Items.Eq(" ", "x"));
        Assert.Throws<ArgumentNullException>(() => Items.Eq("a", null!));
        Assert.Throws<ArgumentException>(() => Items.Select(""));
        Assert.Throws<ArgumentException>(() => Items.Or(""));
        Assert.Throws<ArgumentException>(() => Items.In("a", ["x", null!]).ToUri());
        Assert.Throws<ArgumentException>(() => _client.From("", RestTestJsonContext.Default.TestRow));
        Assert.Empty(_handler.Requests);
    }

    [Fact]
    public async Task Update_and_delete_without_a_filter_are_refused_before_any_request()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Items.UpdateAsync(new JsonObject { ["name"] = "x" }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Items.DeleteAsync());
        Assert.Empty(_handler.Requests);
    }
}
