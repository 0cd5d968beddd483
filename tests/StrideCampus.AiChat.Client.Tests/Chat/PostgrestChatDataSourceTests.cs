using System.Net;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.Client.Tests.Http;

namespace StrideCampus.AiChat.Client.Tests.Chat;

/// <summary>
/// Supabase projects answer every REST read with at most "Max rows" rows (PostgREST db-max-rows, 1000 by default),
/// silently: the data source must page until it has every row.
/// </summary>
public sealed class PostgrestChatDataSourceTests : IDisposable
{
    private static readonly Guid UserId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static readonly Guid SessionId = Guid.Parse("11111111-2222-3333-4444-555555555555");

    private readonly ScriptedHttpHandler _handler = new();
    private readonly HttpClient _http;
    private readonly PostgrestChatDataSource _source;

    public PostgrestChatDataSourceTests()
    {
        _http = new HttpClient(_handler);
        var rest = new PostgrestClient(_http, new PostgrestClientOptions { Url = new Uri("https://xyz.supabase.co"), ApiKey = "anon" });
        _source = new PostgrestChatDataSource(rest, UserId);
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    private static string Message(int n) =>
        "{\"id\":\"00000000-0000-0000-0000-" + n.ToString("D12", System.Globalization.CultureInfo.InvariantCulture)
        + "\",\"session_id\":\"" + SessionId + "\",\"user_id\":\"" + UserId + "\",\"content\":\"m" + n
        + "\",\"is_user\":true,\"status\":\"complete\",\"created_at\":\"2026-11-25T04:00:0" + n + ".123456+00:00\","
        + "\"updated_at\":\"2026-11-25T04:00:0" + n + ".123456+00:00\",\"metadata\":{}}";

    private void Page(string range, params int[] messages) =>
        _handler.RespondJson(HttpStatusCode.OK, "[" + string.Join(",", messages.Select(Message)) + "]",
            r => r.Content.Headers.TryAddWithoutValidation("Content-Range", range));

    [Fact]
    public async Task Messages_beyond_the_servers_max_rows_are_read_in_further_pages()
    {
        Page("0-1/5", 1, 2);
        Page("2-3/5", 3, 4);
        Page("4-4/5", 5);

        var messages = await _source.LoadMessagesAsync(SessionId, CancellationToken.None);

        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], messages.Select(m => m.Content));
        var requests = _handler.Requests;
        Assert.Equal(3, requests.Count);
        Assert.Contains("count=exact", requests[0].Header("Prefer"));
        Assert.Contains("order=id.asc", requests[0].Uri.Query);
        // Keyset paging: each page continues after the last id read.
        Assert.Contains("id=gt.00000000-0000-0000-0000-000000000002", requests[1].Uri.Query);
        Assert.Contains("id=gt.00000000-0000-0000-0000-000000000004", requests[2].Uri.Query);
        Assert.DoesNotContain("offset", requests[2].Uri.Query);
    }

    [Fact]
    public async Task One_request_suffices_when_the_first_page_holds_every_row()
    {
        Page("0-1/2", 1, 2);

        var ids = await _source.LoadMessageIdsAsync(null, CancellationToken.None);

        Assert.Equal(2, ids.Count);
        Assert.Single(_handler.Requests);
    }

    [Fact]
    public async Task Message_ids_are_paged_too()
    {
        Page("0-1/3", 1, 2);
        Page("2-2/3", 3);

        var ids = await _source.LoadMessageIdsAsync(SessionId, CancellationToken.None);

        Assert.Equal(3, ids.Count);
    }
}
