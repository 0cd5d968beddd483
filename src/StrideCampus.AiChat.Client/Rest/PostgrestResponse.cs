namespace StrideCampus.AiChat.Client.Rest;

/// <summary>A successful PostgREST response, read in full.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The body bytes (empty for HEAD or <c>return=minimal</c>).</param>
/// <param name="ContentRange">The <c>Content-Range</c> header, if any.</param>
internal sealed record PostgrestResponse(int Status, byte[] Body, string? ContentRange);
