using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrideCampus.AiChat.Client.Auth;

namespace StrideCampus.AiChat.Client.Rest;

/// <summary>
/// A PostgREST (Supabase REST, <c>{Url}/rest/v1</c>) client: typed queries through <see cref="From{T}"/>,
/// and <see cref="RpcAsync{TResult}"/>. JSON goes only through the source-generated
/// <see cref="JsonTypeInfo{T}"/> passed in, so the client is trimming and AOT safe.
/// </summary>
/// <remarks>
/// Every request carries <c>apikey</c> and <c>Authorization: Bearer</c> with the token of the
/// <see cref="IAccessTokenProvider"/> (or the API key when nobody is signed in). A 401 for an expired JWT
/// asks the provider for a new token and repeats the request once. Transient failures (connection errors,
/// timeouts, 502, 503, 504, 520) are retried with exponential backoff and jitter only for GET and HEAD,
/// which are idempotent; inserts, updates, deletes and RPCs are never repeated, because the server may have
/// applied them before the failure (use client-generated ids and upserts to make a retry of your own safe).
/// </remarks>
public class PostgrestClient
{
    private static readonly HashSet<int> TransientStatuses = [502, 503, 504, 520];

    private readonly HttpClient _http;
    private readonly PostgrestClientOptions _options;
    private readonly IAccessTokenProvider? _tokens;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _restBase;

    /// <summary>The provider of the user's tokens, if any (the chat components take the user from it).</summary>
    internal IAccessTokenProvider? Tokens => _tokens;

    /// <summary>Creates the client.</summary>
    /// <param name="http">The HTTP client (not disposed by this client).</param>
    /// <param name="options">Project URL, API key, schema and retry settings.</param>
    /// <param name="tokens">The signed-in user's tokens; without it requests run as the API key's role.</param>
    /// <param name="logger">Optional logger; tokens, keys and bodies are never logged.</param>
    public PostgrestClient(HttpClient http, PostgrestClientOptions options, IAccessTokenProvider? tokens = null, ILogger<PostgrestClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ProjectUrl.Validate(options.Url, options.ApiKey, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Schema);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        _http = http;
        _options = options;
        _tokens = tokens;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = options.TimeProvider ?? TimeProvider.System;
        _restBase = options.Url.AbsoluteUri.TrimEnd('/') + "/rest/v1/";
    }

    /// <summary>For mocking frameworks only: a client built this way sends nothing until its virtual members are overridden.</summary>
    protected PostgrestClient()
    {
        _http = null!;
        _options = null!;
        _logger = NullLogger.Instance;
        _time = TimeProvider.System;
        _restBase = string.Empty;
    }

    /// <summary>The schema the client targets.</summary>
    public virtual string Schema => _options.Schema;

    /// <summary>Starts a query on <paramref name="table"/> (or view) whose rows are <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="table">The table or view name.</param>
    /// <param name="typeInfo">Source-generated JSON metadata for <typeparamref name="T"/>.</param>
    /// <returns>An immutable query; each builder call returns a new one.</returns>
    public virtual PostgrestQuery<T> From<T>(string table, JsonTypeInfo<T> typeInfo)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return new PostgrestQuery<T>(this, table, typeInfo);
    }

    /// <summary>Calls a database function (<c>POST /rest/v1/rpc/{function}</c>) with named arguments. Never retried.</summary>
    /// <typeparam name="TResult">The result type: a list type for <c>setof</c> functions, a scalar or record type otherwise.</typeparam>
    /// <param name="function">The function name.</param>
    /// <param name="args">The arguments as a JSON object (names are the parameter names), or <see langword="null"/> for none.</param>
    /// <param name="resultType">Source-generated JSON metadata for <typeparamref name="TResult"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The function's result (<see langword="default"/> when the body is empty or <c>null</c>, as for <c>void</c> functions).</returns>
    /// <exception cref="PostgrestException">PostgREST answered with an error.</exception>
    public virtual async Task<TResult> RpcAsync<TResult>(string function, JsonObject? args, JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resultType);
        var response = await SendAsync(BuildRpcRequest(function, args), cancellationToken);
        if (response.Body.Length == 0)
        {
            return default!;
        }

        return JsonSerializer.Deserialize(response.Body, resultType)!;
    }

    /// <summary>Calls a database function whose result is not needed (for example a <c>void</c> function). Never retried.</summary>
    /// <param name="function">The function name.</param>
    /// <param name="args">The arguments, or <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the function returned.</returns>
    /// <exception cref="PostgrestException">PostgREST answered with an error.</exception>
    public virtual async Task RpcAsync(string function, JsonObject? args, CancellationToken cancellationToken = default) =>
        await SendAsync(BuildRpcRequest(function, args), cancellationToken);

    /// <summary>The absolute URL of a request (exposed for tests).</summary>
    internal Uri BuildUri(PostgrestRequest request)
    {
        var path = string.Join('/', request.Path.Split('/').Select(Uri.EscapeDataString));
        var query = PostgrestEncoding.BuildQuery(request.Query);
        return new Uri(query.Length == 0 ? _restBase + path : _restBase + path + "?" + query);
    }

    /// <summary>Sends a request with auth headers, the expired-token retry and (for idempotent requests) transient retries.</summary>
    internal async Task<PostgrestResponse> SendAsync(PostgrestRequest request, CancellationToken cancellationToken)
    {
        var token = _tokens is null ? null : await _tokens.GetAccessTokenAsync(cancellationToken);
        var retriedWithNewToken = false;
        var path = "/rest/v1/" + request.Path;
        var method = request.Method.Method;
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var message = CreateMessage(request, token);
            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
            }
            catch (Exception ex) when (IsTransientException(ex, cancellationToken) && request.IsIdempotent && attempt < _options.MaxRetries)
            {
                var delay = RetryDelay(attempt, null);
                _logger.Retrying(method, path, ex.GetType().Name, attempt + 1, _options.MaxRetries, delay);
                await Task.Delay(delay, _time, cancellationToken);
                continue;
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                // HttpClient lets a connection reset at connect time escape as a bare SocketException; callers get
                // the same type as for every other network failure.
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"{method} {path} could not reach PostgREST: {ex.Message}", ex);
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                _logger.Response(method, path, status, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return new PostgrestResponse(status, body, ReadContentRange(response));
                }

                if (request.IsIdempotent && TransientStatuses.Contains(status) && attempt < _options.MaxRetries)
                {
                    var delay = RetryDelay(attempt, response.Headers.RetryAfter);
                    _logger.Retrying(method, path, $"HTTP {status}", attempt + 1, _options.MaxRetries, delay);
                    await Task.Delay(delay, _time, cancellationToken);
                    continue;
                }

                var error = PostgrestErrors.FromResponse(status, response.ReasonPhrase, body);
                if (!retriedWithNewToken && _tokens is not null && PostgrestErrors.IsExpiredJwt(error))
                {
                    // The request was refused before it ran, so repeating it once is safe for every method.
                    var fresh = await GetFreshTokenAsync(token, cancellationToken);
                    if (fresh is not null && !string.Equals(fresh, token, StringComparison.Ordinal))
                    {
                        _logger.RetryingWithNewToken(method, path);
                        token = fresh;
                        retriedWithNewToken = true;
                        attempt--;
                        continue;
                    }
                }

                _logger.Failed(method, path, status, error.ErrorCode, error.Message);
                throw error;
            }
        }
    }

    private static bool IsTransientException(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException => true,
        System.Net.Sockets.SocketException => true, // a reset at connect time, which HttpClient does not wrap
        // HttpClient.Timeout surfaces as a cancellation that the caller did not ask for.
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private static string? ReadContentRange(HttpResponseMessage response)
    {
        if (response.Content.Headers.NonValidated.TryGetValues("Content-Range", out var values)
            || response.Headers.NonValidated.TryGetValues("Content-Range", out values))
        {
            foreach (var value in values)
            {
                return value;
            }
        }

        return null;
    }

    private PostgrestRequest BuildRpcRequest(string function, JsonObject? args)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(function);
        var body = args is null ? "{}"u8.ToArray() : PostgrestJson.SerializeNode(args);
        return new PostgrestRequest(HttpMethod.Post, "rpc/" + function, [], body);
    }

    private async ValueTask<string?> GetFreshTokenAsync(string? rejected, CancellationToken cancellationToken)
    {
        if (_tokens is IRefreshableAccessTokenProvider refreshable)
        {
            return await refreshable.RefreshAccessTokenAsync(rejected, cancellationToken);
        }

        return await _tokens!.GetAccessTokenAsync(cancellationToken);
    }

    private HttpRequestMessage CreateMessage(PostgrestRequest request, string? token)
    {
        var message = new HttpRequestMessage(request.Method, BuildUri(request));
        message.Headers.TryAddWithoutValidation("apikey", _options.ApiKey);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? _options.ApiKey);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(request.Accept));
        message.Headers.TryAddWithoutValidation("X-Client-Info", "stridecampus-aichat-dotnet");
        if (request.Prefer is not null)
        {
            message.Headers.TryAddWithoutValidation("Prefer", request.Prefer);
        }

        if (!string.Equals(_options.Schema, "public", StringComparison.Ordinal))
        {
            var profileHeader = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head ? "Accept-Profile" : "Content-Profile";
            message.Headers.TryAddWithoutValidation(profileHeader, _options.Schema);
        }

        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        return message;
    }

    private TimeSpan RetryDelay(int attempt, RetryConditionHeaderValue? retryAfter)
    {
        var max = _options.RetryMaxDelay;
        var exponential = _options.RetryBaseDelay * Math.Pow(2, Math.Min(attempt, 30));
        var capped = exponential < max ? exponential : max;
        // "Equal jitter": half fixed, half random, so clients that failed together do not retry together.
#pragma warning disable CA5394 // Jitter is not security sensitive.
        var delay = capped * (0.5 + (Random.Shared.NextDouble() * 0.5));
#pragma warning restore CA5394
        if (retryAfter?.Delta is { } hinted && hinted > delay)
        {
            delay = hinted < max ? hinted : max;
        }

        return delay;
    }

    /// <summary>Whether the status is one PostgREST's clients treat as transient.</summary>
    internal static bool IsTransientStatus(HttpStatusCode status) => TransientStatuses.Contains((int)status);
}
