namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>A request's query string: the select tree, filters/order/paging per resource path ("" is the root), and write options.</summary>
internal sealed record ParsedQuery(IReadOnlyList<SelectItem> Select, Dictionary<string, QueryNode> Nodes, IReadOnlyList<string>? Columns, IReadOnlyList<string>? OnConflict)
{
    public QueryNode Root => Nodes[""];
}
