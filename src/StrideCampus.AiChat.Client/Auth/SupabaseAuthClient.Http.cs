using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>GoTrue requests: headers, transport errors and error bodies mapped to <see cref="AuthException"/>.</summary>
public partial class SupabaseAuthClient
{
    private static readonly MediaTypeWithQualityHeaderValue JsonMediaType = new("application/json");

    private async Task<AuthSession> RequestSessionAsync(HttpMethod method, string path, HttpContent content, CancellationToken ct)
    {
        using var response = await SendAsync(method, path, content, _options.ApiKey, ct);
        GoTrueSessionResponse? body;
        try
        {
            body = await response.Content.ReadFromJsonAsync(AuthJsonContext.Default.GoTrueSessionResponse, ct);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new AuthException((int)response.StatusCode, null, "GoTrue returned a session that is not valid JSON.", ex);
        }

        if (body is null || string.IsNullOrEmpty(body.AccessToken))
        {
            throw new AuthException(
                (int)response.StatusCode,
                "email_confirmation_required",
                "GoTrue created the user but issued no session: the project requires email confirmation before sign-in.");
        }

        if (string.IsNullOrEmpty(body.RefreshToken) || body.User is null)
        {
            throw new AuthException((int)response.StatusCode, null, "GoTrue returned a session without refresh token or user.");
        }

        // expires_in is relative, so it is immune to clock skew between this machine and the server.
        var now = _time.GetUtcNow();
        var expiresAt = body.ExpiresIn is { } seconds
            ? now.AddSeconds(seconds)
            : body.ExpiresAt is { } unix
                ? DateTimeOffset.FromUnixTimeSeconds(unix)
                : now.AddHours(1);
        return new AuthSession(body.AccessToken, body.RefreshToken, expiresAt, new AuthUser(body.User.Id, body.User.Email));
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, string bearer, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(_authBase, path)) { Content = content };
        request.Headers.TryAddWithoutValidation("apikey", _options.ApiKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Headers.Accept.Add(JsonMediaType);
        // Asks GoTrue for its current error format (with error_code).
        request.Headers.TryAddWithoutValidation("X-Supabase-Api-Version", "2024-01-01");

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException)
        {
            // A reset at connect time can escape HttpClient as a bare SocketException.
            throw new AuthException(0, null, $"GoTrue could not be reached: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new AuthException(0, "request_timeout", "GoTrue did not answer in time.", ex);
        }

        _logger.Response(method.Method, "/auth/v1/" + path.Split('?')[0], (int)response.StatusCode);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw GoTrueErrors.FromResponse(response.StatusCode, text);
        }
    }
}
