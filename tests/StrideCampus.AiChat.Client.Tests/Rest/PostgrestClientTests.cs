using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Moq;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.Client.Tests.Http;

namespace StrideCampus.AiChat.Client.Tests.Rest;

public sealed class PostgrestClientTests : IDisposable
{
    private const string ApiKey = "anon-key-secret";
    private const string UserToken = "user-token-secret";
    private const string TwoRows = """[{"id":1,"name":"a"},{"id":2,"name":"b"}]""";

    private readonly ScriptedHttpHandler _handler = new();
    private readonly HttpClient _http;
    private readonly CapturingLogger<PostgrestClient> _logger = new();

    public PostgrestClientTests() => _http = new HttpClient(_handler);

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    private PostgrestClient Client(IAccessTokenProvider? tokens = null, string schema = "public", int maxRetries = 3, TimeProvider? time = null) =>
        new(
            _http,
            new PostgrestClientOptions
            {
                Url = new Uri("http://localhost:54321"),
                ApiKey = ApiKey,
                Schema = schema,
                MaxRetries = maxRetries,
                // Real time: 1-5 ms; a fake clock: 1-5 s that only pass when the test advances it.
                RetryBaseDelay = time is null ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromSeconds(1),
                RetryMaxDelay = time is null ? TimeSpan.FromMilliseconds(5) : TimeSpan.FromSeconds(5),
                TimeProvider = time ?? TimeProvider.System,
            },
            tokens,
            _logger);

    private static PostgrestQuery<TestRow> Items(PostgrestClient client) => client.From("items", RestTestJsonContext.Default.TestRow);

    // ---- headers ----

    [Fact]
    public async Task Anonymous_requests_send_the_api_key_as_apikey_and_bearer()
    {
        _handler.RespondJson(HttpStatusCode.OK, "[]");
        await Items(Client()).GetAsync();
        var request = Assert.Single(_handler.Requests);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal(ApiKey, request.Header("apikey"));
        Assert.Equal("Bearer " + ApiKey, request.Header("Authorization"));
        Assert.Equal("application/json", request.Header("Accept"));
        Assert.Null(request.Header("Accept-Profile"));
        Assert.Null(request.Header("Content-Profile"));
        Assert.Null(request.Header("Prefer"));
    }

    [Fact]
    public async Task Signed_in_requests_send_the_user_token_as_bearer_and_the_key_as_apikey()
    {
        _handler.RespondJson(HttpStatusCode.OK, "[]");
        await Items(Client(new StaticAccessTokenProvider(UserToken))).GetAsync();
        var request = Assert.Single(_handler.Requests);
        Assert.Equal(ApiKey, request.Header("apikey"));
        Assert.Equal("Bearer " + UserToken, request.Header("Authorization"));
    }

    [Fact]
    public async Task Non_public_schema_sends_accept_profile_on_reads_and_content_profile_on_writes()
    {
        var client = Client(schema: "chat");
        _handler.RespondJson(HttpStatusCode.OK, "[]").RespondJson(HttpStatusCode.Created, """[{"id":1,"name":"a"}]""");
        await Items(client).GetAsync();
        await Items(client).InsertAsync(new TestRow(1, "a"));
        Assert.Equal("chat", _handler.Requests[0].Header("Accept-Profile"));
        Assert.Null(_handler.Requests[0].Header("Content-Profile"));
        Assert.Equal("chat", _handler.Requests[1].Header("Content-Profile"));
        Assert.Null(_handler.Requests[1].Header("Accept-Profile"));
    }

    // ---- reads ----

    [Fact]
    public async Task Get_deserializes_rows_through_the_type_info()
    {
        _handler.RespondJson(HttpStatusCode.OK, """[{"id":1,"name":"a","meta":{"k":[1,2]}},{"id":2,"name":null}]""");
        var rows = await Items(Client()).GetAsync();
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, rows[0].Id);
        Assert.Equal(2, rows[0].Meta!["k"]!.AsArray().Count);
        Assert.Null(rows[1].Name);
    }

    [Theory]
    [InlineData("0-24/3573", 3573L)]
    [InlineData("*/0", 0L)]
    [InlineData("0-1/*", null)]
    [InlineData("items 0-1/2", 2L)]
    public async Task Get_with_count_asks_for_an_exact_count_and_parses_content_range(string contentRange, long? expected)
    {
        _handler.RespondJson(HttpStatusCode.OK, contentRange == "*/0" ? "[]" : TwoRows, r => r.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange));
        var page = await Items(Client()).Range(0, 24).GetWithCountAsync();
        Assert.Equal(expected, page.TotalCount);
        Assert.Equal(contentRange == "*/0" ? 0 : 2, page.Items.Count);
        Assert.Equal("count=exact", _handler.Requests[0].Header("Prefer"));
    }

    [Fact]
    public async Task Count_uses_head()
    {
        _handler.Respond((_, _) =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
            response.Content.Headers.TryAddWithoutValidation("Content-Range", "*/42");
            return Task.FromResult(response);
        });
        Assert.Equal(42, await Items(Client()).Eq("name", "a").CountAsync());
        Assert.Equal(HttpMethod.Head, _handler.Requests[0].Method);
        Assert.Equal("count=exact", _handler.Requests[0].Header("Prefer"));
    }

    [Fact]
    public async Task Single_asks_for_an_object_and_maps_pgrst116()
    {
        _handler.RespondJson(HttpStatusCode.OK, """{"id":7,"name":"x"}""")
            .RespondJson(HttpStatusCode.NotAcceptable, """{"code":"PGRST116","details":"The result contains 0 rows","hint":null,"message":"JSON object requested, multiple (or no) rows returned"}""");
        var row = await Items(Client()).Eq("id", "7").SingleAsync();
        Assert.Equal(7, row.Id);
        Assert.Equal("application/vnd.pgrst.object+json", _handler.Requests[0].Header("Accept"));
        var ex = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client()).Eq("id", "8").SingleAsync());
        Assert.Equal(406, ex.Status);
        Assert.Equal("PGRST116", ex.ErrorCode);
        Assert.Equal("The result contains 0 rows", ex.Details);
    }

    [Fact]
    public async Task Maybe_single_returns_null_for_no_row_and_fails_for_several()
    {
        _handler.RespondJson(HttpStatusCode.OK, "[]").RespondJson(HttpStatusCode.OK, """[{"id":1,"name":"a"}]""").RespondJson(HttpStatusCode.OK, TwoRows);
        Assert.Null(await Items(Client()).MaybeSingleAsync());
        Assert.Equal(1, (await Items(Client()).MaybeSingleAsync())!.Id);
        var ex = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client()).MaybeSingleAsync());
        Assert.Equal("PGRST116", ex.ErrorCode);
    }

    // ---- writes ----

    [Fact]
    public async Task Insert_one_posts_the_object_with_return_representation()
    {
        _handler.RespondJson(HttpStatusCode.Created, """[{"id":5,"name":"new"}]""");
        var stored = await Items(Client()).InsertAsync(new TestRow(5, "new"));
        Assert.Equal(new TestRow(5, "new"), stored);
        var request = _handler.Requests[0];
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/rest/v1/items", request.PathAndQuery);
        Assert.Equal("return=representation", request.Header("Prefer"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("""{"id":5,"name":"new"}""", request.Body);
    }

    [Fact]
    public async Task Bulk_insert_posts_an_array_and_names_columns_only_when_rows_differ()
    {
        _handler.RespondJson(HttpStatusCode.Created, TwoRows).RespondJson(HttpStatusCode.Created, TwoRows);
        var rows = await Items(Client()).InsertAsync([new TestRow(1, "a"), new TestRow(2, "b")]);
        Assert.Equal(2, rows.Count);
        Assert.Equal("/rest/v1/items", _handler.Requests[0].PathAndQuery);
        Assert.Equal("""[{"id":1,"name":"a"},{"id":2,"name":"b"}]""", _handler.Requests[0].Body);

        await Items(Client()).InsertAsync([new TestRow(1, "a"), new TestRow(2, "b", new JsonObject { ["k"] = 1 })]);
        Assert.Equal("/rest/v1/items?columns=%22id%22,%22name%22,%22meta%22", _handler.Requests[1].PathAndQuery);
        Assert.Equal("return=representation,missing=default", _handler.Requests[1].Header("Prefer"));
    }

    [Fact]
    public async Task Insert_of_no_rows_sends_nothing()
    {
        Assert.Empty(await Items(Client()).InsertAsync(Array.Empty<TestRow>()));
        Assert.Empty(_handler.Requests);
    }

    [Fact]
    public async Task Upsert_merges_or_ignores_duplicates_with_on_conflict()
    {
        _handler.RespondJson(HttpStatusCode.OK, TwoRows).RespondJson(HttpStatusCode.OK, "[]");
        await Items(Client()).Select("id").UpsertAsync([new TestRow(1, "a")], onConflict: "id");
        await Items(Client()).UpsertAsync([new TestRow(1, "a")], ignoreDuplicates: true);
        Assert.Equal("/rest/v1/items?select=id&on_conflict=id", _handler.Requests[0].PathAndQuery);
        Assert.Equal("resolution=merge-duplicates,return=representation", _handler.Requests[0].Header("Prefer"));
        Assert.Equal("/rest/v1/items", _handler.Requests[1].PathAndQuery);
        Assert.Equal("resolution=ignore-duplicates,return=representation", _handler.Requests[1].Header("Prefer"));
    }

    [Fact]
    public async Task Update_patches_the_filtered_rows_with_the_json_object()
    {
        _handler.RespondJson(HttpStatusCode.OK, """[{"id":1,"name":"renamed"}]""");
        var rows = await Items(Client()).Eq("id", "1").UpdateAsync(new JsonObject { ["name"] = "renamed", ["meta"] = new JsonObject { ["a"] = null } });
        Assert.Equal("renamed", Assert.Single(rows).Name);
        var request = _handler.Requests[0];
        Assert.Equal(HttpMethod.Patch, request.Method);
        Assert.Equal("/rest/v1/items?id=eq.1", request.PathAndQuery);
        Assert.Equal("return=representation", request.Header("Prefer"));
        Assert.Equal("""{"name":"renamed","meta":{"a":null}}""", request.Body);
    }

    [Fact]
    public async Task Delete_removes_the_filtered_rows_and_returns_them()
    {
        _handler.RespondJson(HttpStatusCode.OK, TwoRows);
        var rows = await Items(Client()).In("id", ["1", "2"]).DeleteAsync();
        Assert.Equal(2, rows.Count);
        Assert.Equal(HttpMethod.Delete, _handler.Requests[0].Method);
        Assert.Equal("/rest/v1/items?id=in.(1,2)", _handler.Requests[0].PathAndQuery);
        Assert.Equal("return=representation", _handler.Requests[0].Header("Prefer"));
        Assert.Null(_handler.Requests[0].Body);
    }

    [Fact]
    public async Task Rpc_posts_named_arguments_and_reads_the_result()
    {
        _handler.RespondJson(HttpStatusCode.OK, TwoRows).RespondJson(HttpStatusCode.OK, "3").RespondJson(HttpStatusCode.NoContent, string.Empty);
        var client = Client();
        var rows = await client.RpcAsync("set_active", new JsonObject { ["p_session_id"] = "abc" }, RestTestJsonContext.Default.ListTestRow);
        Assert.Equal(2, rows.Count);
        Assert.Equal("/rest/v1/rpc/set_active", _handler.Requests[0].PathAndQuery);
        Assert.Equal(HttpMethod.Post, _handler.Requests[0].Method);
        Assert.Equal("""{"p_session_id":"abc"}""", _handler.Requests[0].Body);

        Assert.Equal(3, await client.RpcAsync("three", null, RestTestJsonContext.Default.Int32));
        Assert.Equal("{}", _handler.Requests[1].Body);
        await client.RpcAsync("nothing", null);
        Assert.Equal(3, _handler.Requests.Count);
    }

    // ---- errors ----

    [Fact]
    public async Task Postgrest_error_json_becomes_a_typed_exception()
    {
        _handler.RespondJson(
            HttpStatusCode.Forbidden,
            """{"code":"42501","details":"row detail","hint":"try this","message":"new row violates row-level security policy for table \"items\""}""");
        var ex = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client()).InsertAsync(new TestRow(1, "a")));
        Assert.Equal(403, ex.Status);
        Assert.Equal("42501", ex.ErrorCode);
        Assert.Equal("new row violates row-level security policy for table \"items\"", ex.Message);
        Assert.Equal("row detail", ex.Details);
        Assert.Equal("try this", ex.Hint);
    }

    [Fact]
    public async Task Unique_violation_and_bad_filter_keep_their_codes()
    {
        _handler.RespondJson(HttpStatusCode.Conflict, """{"code":"23505","details":"Key (id)=(1) already exists.","hint":null,"message":"duplicate key value violates unique constraint \"items_pkey\""}""")
            .RespondJson(HttpStatusCode.BadRequest, """{"code":"PGRST100","details":"unexpected \"x\" expecting \"(\"","hint":null,"message":"\"failed to parse filter (x)\" (line 1, column 4)"}""");
        var dup = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client()).InsertAsync(new TestRow(1, "a")));
        Assert.Equal((409, "23505"), (dup.Status, dup.ErrorCode));
        Assert.Null(dup.Hint);
        var bad = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client()).Filter("id", "in", "x").GetAsync());
        Assert.Equal((400, "PGRST100"), (bad.Status, bad.ErrorCode));
    }

    [Fact]
    public async Task A_non_json_error_body_still_gives_status_and_text()
    {
        _handler.RespondText(HttpStatusCode.BadGateway, "<html><body>Bad gateway from the proxy</body></html>");
        var ex = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client()).InsertAsync(new TestRow(1, "a")));
        Assert.Equal(502, ex.Status);
        Assert.Null(ex.ErrorCode);
        Assert.Contains("502", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Bad gateway from the proxy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_without_a_body_still_gives_the_status()
    {
        _handler.Respond((_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound)));
        var ex = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client()).Eq("id", "1").DeleteAsync());
        Assert.Equal(404, ex.Status);
        Assert.Contains("404", ex.Message, StringComparison.Ordinal);
    }

    // ---- transient retries ----

    [Fact]
    public async Task Get_is_retried_after_503_and_connection_refused()
    {
        _handler.RespondJson(HttpStatusCode.ServiceUnavailable, """{"message":"busy"}""")
            .Throw(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"))
            .RespondJson(HttpStatusCode.OK, TwoRows);
        var rows = await Items(Client()).GetAsync();
        Assert.Equal(2, rows.Count);
        Assert.Equal(3, _handler.Requests.Count);
        Assert.All(_handler.Requests, r => Assert.Equal(HttpMethod.Get, r.Method));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    [InlineData((HttpStatusCode)520)]
    public async Task Get_is_retried_on_every_transient_status(HttpStatusCode status)
    {
        _handler.RespondJson(status, "{}").RespondJson(HttpStatusCode.OK, "[]");
        await Items(Client()).GetAsync();
        Assert.Equal(2, _handler.Requests.Count);
    }

    [Fact]
    public async Task Get_is_retried_after_an_http_client_timeout_but_a_post_is_not()
    {
        var client = Client();
        _handler.Throw(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout"))
            .RespondJson(HttpStatusCode.OK, "[]")
            .Throw(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout"));
        await Items(client).GetAsync();
        Assert.Equal(2, _handler.Requests.Count);
        await Assert.ThrowsAsync<TaskCanceledException>(() => Items(client).InsertAsync(new TestRow(1, "a")));
        Assert.Equal(3, _handler.Requests.Count);
    }

    [Fact]
    public async Task A_bare_socket_error_from_http_client_is_retried_for_a_get_and_typed_for_a_post()
    {
        // HttpClient lets a connection reset at connect time escape as a SocketException (seen under load).
        var client = Client();
        var reset = new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.NotConnected);
        _handler.Throw(reset).RespondJson(HttpStatusCode.OK, "[]").Throw(reset);
        await Items(client).GetAsync();
        Assert.Equal(2, _handler.Requests.Count);
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => Items(client).InsertAsync(new TestRow(1, "a")));
        Assert.Equal(HttpRequestError.ConnectionError, ex.HttpRequestError);
        Assert.Same(reset, ex.InnerException);
        Assert.Equal(3, _handler.Requests.Count);
    }

    [Fact]
    public async Task Get_gives_up_after_max_retries_with_the_last_error()
    {
        for (var i = 0; i < 3; i++)
        {
            _handler.RespondJson(HttpStatusCode.ServiceUnavailable, """{"code":"PGRST000","message":"could not connect"}""");
        }

        var ex = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client(maxRetries: 2)).GetAsync());
        Assert.Equal((503, "PGRST000"), (ex.Status, ex.ErrorCode));
        Assert.Equal(3, _handler.Requests.Count);
    }

    [Fact]
    public async Task Non_transient_statuses_are_not_retried()
    {
        _handler.RespondJson(HttpStatusCode.InternalServerError, """{"code":"XX000","message":"boom"}""");
        await Assert.ThrowsAsync<PostgrestException>(() => Items(Client()).GetAsync());
        Assert.Single(_handler.Requests);
    }

    [Fact]
    public async Task Writes_are_never_retried_on_503()
    {
        var client = Client();
        for (var i = 0; i < 4; i++)
        {
            _handler.RespondJson(HttpStatusCode.ServiceUnavailable, "{}");
        }

        await Assert.ThrowsAsync<PostgrestException>(() => Items(client).InsertAsync(new TestRow(1, "a")));
        await Assert.ThrowsAsync<PostgrestException>(() => Items(client).Eq("id", "1").UpdateAsync(new JsonObject { ["name"] = "b" }));
        await Assert.ThrowsAsync<PostgrestException>(() => Items(client).Eq("id", "1").DeleteAsync());
        await Assert.ThrowsAsync<PostgrestException>(() => client.RpcAsync("f", null));
        Assert.Equal(
            [HttpMethod.Post, HttpMethod.Patch, HttpMethod.Delete, HttpMethod.Post],
            _handler.Requests.Select(r => r.Method).ToArray());
    }

    [Fact]
    public async Task Writes_are_never_retried_on_connection_errors()
    {
        var client = Client();
        for (var i = 0; i < 3; i++)
        {
            _handler.Throw(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"));
        }

        await Assert.ThrowsAsync<HttpRequestException>(() => Items(client).UpsertAsync([new TestRow(1, "a")]));
        await Assert.ThrowsAsync<HttpRequestException>(() => Items(client).Eq("id", "1").UpdateAsync(new JsonObject()));
        await Assert.ThrowsAsync<HttpRequestException>(() => Items(client).Eq("id", "1").DeleteAsync());
        Assert.Equal(3, _handler.Requests.Count);
    }

    [Fact]
    public async Task Retry_waits_for_the_backoff_on_the_injected_clock()
    {
        var time = new FakeTimeProvider();
        _handler.RespondJson(HttpStatusCode.ServiceUnavailable, "{}").RespondJson(HttpStatusCode.OK, "[]");
        var get = Items(Client(time: time)).GetAsync();
        await _handler.WaitForRequestsAsync(1);
        await Task.Delay(50);
        Assert.False(get.IsCompleted);
        Assert.Single(_handler.Requests);
        time.Advance(TimeSpan.FromSeconds(0.4));
        await Task.Delay(50);
        Assert.False(get.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.6));
        await get.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, _handler.Requests.Count);
    }

    // ---- expired token ----

    [Theory]
    [InlineData("PGRST301")]
    [InlineData("PGRST303")]
    public async Task An_expired_jwt_refreshes_the_token_and_retries_once(string code)
    {
        var tokens = new Mock<IRefreshableAccessTokenProvider>(MockBehavior.Strict);
        tokens.Setup(t => t.GetAccessTokenAsync(It.IsAny<CancellationToken>())).ReturnsAsync("old-token");
        tokens.Setup(t => t.RefreshAccessTokenAsync("old-token", It.IsAny<CancellationToken>())).ReturnsAsync("new-token");
        _handler.RespondJson(HttpStatusCode.Unauthorized, $$"""{"code":"{{code}}","details":null,"hint":null,"message":"JWT expired"}""")
            .RespondJson(HttpStatusCode.Created, """[{"id":1,"name":"a"}]""");

        var stored = await Items(Client(tokens.Object)).InsertAsync(new TestRow(1, "a"));

        Assert.Equal(1, stored.Id);
        Assert.Equal("Bearer old-token", _handler.Requests[0].Header("Authorization"));
        Assert.Equal("Bearer new-token", _handler.Requests[1].Header("Authorization"));
        Assert.Equal(_handler.Requests[0].Body, _handler.Requests[1].Body);
        tokens.Verify(t => t.RefreshAccessTokenAsync("old-token", It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_second_expired_jwt_is_not_retried_again()
    {
        var tokens = new Mock<IRefreshableAccessTokenProvider>();
        tokens.Setup(t => t.GetAccessTokenAsync(It.IsAny<CancellationToken>())).ReturnsAsync("t1");
        tokens.Setup(t => t.RefreshAccessTokenAsync(It.IsAny<string?>(), It.IsAny<CancellationToken>())).ReturnsAsync("t2");
        const string expired = """{"code":"PGRST303","message":"JWT expired"}""";
        _handler.RespondJson(HttpStatusCode.Unauthorized, expired).RespondJson(HttpStatusCode.Unauthorized, expired);
        var ex = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client(tokens.Object)).GetAsync());
        Assert.Equal((401, "PGRST303"), (ex.Status, ex.ErrorCode));
        Assert.Equal(2, _handler.Requests.Count);
        tokens.Verify(t => t.RefreshAccessTokenAsync(It.IsAny<string?>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_jwt_issued_in_the_future_is_not_cured_by_a_refresh()
    {
        var tokens = new Mock<IRefreshableAccessTokenProvider>();
        tokens.Setup(t => t.GetAccessTokenAsync(It.IsAny<CancellationToken>())).ReturnsAsync("t1");
        _handler.RespondJson(HttpStatusCode.Unauthorized, """{"code":"PGRST303","message":"JWT issued at future"}""");
        var ex = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client(tokens.Object)).GetAsync());
        Assert.Equal("PGRST303", ex.ErrorCode);
        Assert.Single(_handler.Requests);
        tokens.Verify(t => t.RefreshAccessTokenAsync(It.IsAny<string?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Other_401s_and_unchanged_tokens_are_not_retried()
    {
        _handler.RespondJson(HttpStatusCode.Unauthorized, """{"code":"42501","message":"permission denied for table items"}""")
            .RespondJson(HttpStatusCode.Unauthorized, """{"code":"PGRST303","message":"JWT expired"}""");
        var tokens = new StaticAccessTokenProvider(UserToken);
        var denied = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client(tokens)).GetAsync());
        Assert.Equal("42501", denied.ErrorCode);
        // A plain provider that still returns the same token: nothing to retry with.
        var expired = await Assert.ThrowsAsync<PostgrestException>(() => Items(Client(tokens)).GetAsync());
        Assert.Equal("PGRST303", expired.ErrorCode);
        Assert.Equal(2, _handler.Requests.Count);
    }

    // ---- cancellation ----

    [Fact]
    public async Task A_cancelled_token_sends_nothing()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Items(Client()).GetAsync(cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Items(Client()).InsertAsync(new TestRow(1, "a"), cts.Token));
        Assert.Empty(_handler.Requests);
    }

    [Fact]
    public async Task Cancelling_an_in_flight_request_throws_and_does_not_retry()
    {
        _handler.Respond(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var cts = new CancellationTokenSource();
        var get = Items(Client()).GetAsync(cts.Token);
        await _handler.WaitForRequestsAsync(1);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get);
        Assert.Single(_handler.Requests);
    }

    [Fact]
    public async Task Cancelling_during_the_backoff_stops_the_retries()
    {
        var time = new FakeTimeProvider();
        _handler.RespondJson(HttpStatusCode.ServiceUnavailable, "{}");
        using var cts = new CancellationTokenSource();
        var get = Items(Client(time: time)).GetAsync(cts.Token);
        await _handler.WaitForRequestsAsync(1);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(_handler.Requests);
    }

    // ---- logging ----

    [Fact]
    public async Task Logs_never_contain_tokens_or_keys()
    {
        var tokens = new Mock<IRefreshableAccessTokenProvider>();
        tokens.Setup(t => t.GetAccessTokenAsync(It.IsAny<CancellationToken>())).ReturnsAsync(UserToken);
        tokens.Setup(t => t.RefreshAccessTokenAsync(It.IsAny<string?>(), It.IsAny<CancellationToken>())).ReturnsAsync(UserToken + "-2");
        _handler.RespondJson(HttpStatusCode.ServiceUnavailable, "{}")
            .RespondJson(HttpStatusCode.Unauthorized, """{"code":"PGRST303","message":"JWT expired"}""")
            .RespondJson(HttpStatusCode.Forbidden, """{"code":"42501","message":"denied"}""");
        await Assert.ThrowsAsync<PostgrestException>(() => Items(Client(tokens.Object)).Eq("name", "x").GetAsync());
        Assert.NotEmpty(_logger.Lines);
        Assert.DoesNotContain(UserToken, _logger.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, _logger.AllText, StringComparison.Ordinal);
    }
}
