using StrideCampus.AiChat.LocalStack.Realtime;

namespace StrideCampus.AiChat.LocalStack.Tests.Realtime;

/// <summary>
/// postgres_changes filters beyond eq..in, parsed as supabase/realtime parses them
/// (<c>lib/extensions/postgres_cdc_rls/subscriptions.ex</c>) and evaluated as it evaluates them
/// (<c>realtime.check_equality_op</c> in <c>lib/realtime/tenants/repo/migrations/20260626120000_readd_postgrest_filter_ops.ex</c>).
/// RealtimeFilterOperatorTests in the integration tests deliver them over a live socket.
/// </summary>
public sealed class ChangeFilterTests
{
    private static readonly RelationInfo Messages = new(1, "public", "t",
    [
        new RelationColumn("content", 25, "text", "text"),
        new RelationColumn("is_user", 16, "bool", "boolean"),
        new RelationColumn("n", 23, "int4", "integer"),
        new RelationColumn("note", 25, "text", "text"),
    ], [0], rlsEnabled: true);

    // Row: content 'Hello, World', is_user true, n 5, note NULL.
    [Theory]
    [InlineData("content=like.Hello%", true)]
    [InlineData("content=like.hello%", false)]
    [InlineData("content=ilike.hello%", true)]
    [InlineData("content=like.Hell_%", true)]
    [InlineData("content=like.\"Hell_, %\"", true)]
    [InlineData("content=like.Hello", false)]
    [InlineData("content=not.like.Hello%", false)]
    [InlineData("content=match.^H.*d$", true)]
    [InlineData("content=match.^h", false)]
    [InlineData("content=imatch.^h", true)]
    [InlineData("content=not.imatch.^h", false)]
    [InlineData("content=eq.\"Hello, World\"", true)]
    [InlineData("content=eq.\"Hello, \\\"World\"", false)]
    [InlineData("content=in.(\"Hello, World\",x)", true)]
    [InlineData("content=not.in.(\"Hello, World\",x)", false)]
    [InlineData("n=not.eq.5", false)]
    [InlineData("n=not.gt.9", true)]
    [InlineData("n=isdistinct.5", false)]
    [InlineData("n=isdistinct.6", true)]
    [InlineData("n=not.isdistinct.5", true)]
    [InlineData("is_user=is.true", true)]
    [InlineData("is_user=is.false", false)]
    [InlineData("is_user=not.is.true", false)]
    [InlineData("note=is.null", true)]
    [InlineData("note=not.is.null", false)]
    [InlineData("content=not.is.null", true)]
    [InlineData("note=isdistinct.x", true)]
    [InlineData("note=eq.x", false)]
    [InlineData("note=not.eq.x", false)] // NULL = 'x' is NULL, and NOT NULL is still NULL
    [InlineData("note=neq.x", false)]
    [InlineData("content=like.Hello%,n=gte.5,note=is.null", true)]
    public void Operators_negation_and_quoted_values_match_as_realtime_evaluates_them(string filter, bool matches)
    {
        Assert.True(ChangeFilter.TryParse(filter, out var parsed, out var error), error);
        Assert.Equal(matches, parsed.Matches(Messages, ["Hello, World", "t", "5", null]));
    }

    [Theory]
    [InlineData("is_user=is.maybe", "invalid value for is filter")]
    [InlineData("content=nope.x", "Error parsing `filter` params")]
    [InlineData("content=not.x", "Error parsing `filter` params")]
    public void Bad_operators_and_is_values_are_refused(string filter, string message)
    {
        Assert.False(ChangeFilter.TryParse(filter, out _, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void In_takes_at_most_100_values()
    {
        Assert.True(ChangeFilter.TryParse($"n=in.({string.Join(',', Enumerable.Range(0, 100))})", out _, out _));
        Assert.False(ChangeFilter.TryParse($"n=in.({string.Join(',', Enumerable.Range(0, 101))})", out _, out var error));
        Assert.Equal("too many values for `in` filter. Maximum 100", error);
    }
}
