namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>
/// One entry of a <c>select</c> parameter: <c>*</c>, a column (<c>alias:name::cast</c>) or an
/// embedded resource (<c>alias:name!hint!inner(children)</c>).
/// </summary>
internal sealed record SelectItem(string Name, string? Alias = null, string? Cast = null, IReadOnlyList<SelectItem>? Children = null, string? Hint = null, bool Inner = false)
{
    public bool IsStar => Name == "*" && Children is null;

    public bool IsEmbed => Children is not null;

    /// <summary>The key of this item in the JSON output.</summary>
    public string OutputName => Alias ?? JsonKey ?? Name;

    /// <summary>For <c>metadata-&gt;a-&gt;&gt;b</c>, the last key (<c>b</c>), which PostgREST uses as the output name.</summary>
    private string? JsonKey
    {
        get
        {
            var arrow = Name.LastIndexOf("->", StringComparison.Ordinal);
            return arrow < 0 ? null : Name[(arrow + 2)..].TrimStart('>');
        }
    }
}
