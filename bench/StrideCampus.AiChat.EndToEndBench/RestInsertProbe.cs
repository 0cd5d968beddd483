using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// The REST floor: the same PostgREST upsert the store's <c>AddMessageAsync</c> sends (POST with
/// <c>on_conflict=id</c>, <c>Prefer: resolution=merge-duplicates,return=representation</c>), on a bare
/// <see cref="HttpClient"/>, one at a time at a given pace. Returns each request's round trip.
/// </summary>
internal static class RestInsertProbe
{
    public static async Task<double[]> MeasureAsync(BenchStack stack, Guid userId, Guid sessionId, int count, double rate, CancellationToken ct)
    {
        using var http = new HttpClient();
        var url = new Uri(stack.Server.ApiUrl, "rest/v1/ai_chat_messages?on_conflict=id");
        var token = stack.Token(userId);
        var samples = new List<double>(count);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await Pace.UntilSlotAsync(clock, i, rate, ct);

            var body = $"[{{\"id\":\"{Guid.NewGuid()}\",\"session_id\":\"{sessionId}\",\"user_id\":\"{userId}\",\"content\":\"rest probe {i}\",\"is_user\":true,\"status\":\"complete\"}}]";
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("apikey", stack.Server.AnonKey);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Prefer", "resolution=merge-duplicates,return=representation");
            var start = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request, ct);
            _ = await response.Content.ReadAsByteArrayAsync(ct);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            samples.Add(elapsed);
        }

        return [.. samples];
    }
}
