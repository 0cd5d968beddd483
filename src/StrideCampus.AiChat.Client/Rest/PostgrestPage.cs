namespace StrideCampus.AiChat.Client.Rest;

/// <summary>Rows of one request together with the total number of rows matching the filters.</summary>
/// <typeparam name="T">The row type.</typeparam>
/// <param name="Items">The rows returned (limited by <c>Limit</c>/<c>Range</c>).</param>
/// <param name="TotalCount">The exact number of matching rows (from <c>Content-Range</c>), or <see langword="null"/> when the server did not say.</param>
public sealed record PostgrestPage<T>(IReadOnlyList<T> Items, long? TotalCount);
