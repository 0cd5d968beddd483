namespace StrideCampus.AiChat.Client.Rest;

/// <summary>One PostgREST call, rebuilt into a fresh <see cref="HttpRequestMessage"/> for every attempt.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path below <c>/rest/v1/</c> (a table, or <c>rpc/{function}</c>), unescaped.</param>
/// <param name="Query">The query parameters, unescaped.</param>
/// <param name="Body">The JSON body, if any.</param>
/// <param name="Prefer">The <c>Prefer</c> header, if any.</param>
/// <param name="Accept">The <c>Accept</c> header.</param>
internal sealed record PostgrestRequest(
    HttpMethod Method,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    byte[]? Body = null,
    string? Prefer = null,
    string Accept = PostgrestRequest.JsonMediaType)
{
    public const string JsonMediaType = "application/json";
    public const string SingleObjectMediaType = "application/vnd.pgrst.object+json";

    /// <summary>
    /// Whether repeating the request after a transient failure is safe. Only GET and HEAD: PostgREST may have
    /// committed a POST/PATCH/DELETE (or an RPC with side effects) before the connection failed.
    /// </summary>
    public bool IsIdempotent => Method == HttpMethod.Get || Method == HttpMethod.Head;
}
