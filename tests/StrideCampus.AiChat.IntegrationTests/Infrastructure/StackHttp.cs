using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>Raw HTTP against a running LocalStack, the way supabase-js talks to it (apikey + bearer).</summary>
public sealed class StackHttp(LocalStackServer stack) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = stack.ApiUrl };

    public LocalStackServer Stack { get; } = stack;

    public sealed record User(Guid Id, string Email, string Password, string AccessToken, string RefreshToken);

    public sealed record Reply(int Status, string Body, HttpResponseHeaders Headers, HttpContentHeaders? ContentHeaders)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public string? Header(string name) =>
            Headers.TryGetValues(name, out var v) ? string.Join(",", v) : ContentHeaders is not null && ContentHeaders.TryGetValues(name, out var c) ? string.Join(",", c) : null;

        public override string ToString() => $"{Status} {Body}";
    }

    public static string NewEmail(string prefix) => $"{prefix}-{Guid.NewGuid():N}@example.test";

    public async Task<User> SignUpAsync(string prefix = "user")
    {
        var email = NewEmail(prefix);
        const string password = "password-123";
        var reply = await SendAsync(HttpMethod.Post, "/auth/v1/signup", body: $$"""{"email":"{{email}}","password":"{{password}}"}""");
        Assert.True(reply.Status == 200, reply.ToString());
        var json = reply.Json;
        return new User(
            Guid.Parse(json.GetProperty("user").GetProperty("id").GetString()!),
            email,
            password,
            json.GetProperty("access_token").GetString()!,
            json.GetProperty("refresh_token").GetString()!);
    }

    public async Task<Reply> SendAsync(HttpMethod method, string path, string? bearer = null, string? body = null, IDictionary<string, string>? headers = null, string? apiKey = "")
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        apiKey = apiKey == "" ? Stack.AnonKey : apiKey;
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("apikey", apiKey);
        }
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply((int)response.StatusCode, text, response.Headers, response.Content.Headers);
    }

    public void Dispose() => _http.Dispose();
}
