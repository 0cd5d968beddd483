namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>Filters, order and paging for the root resource or one embedded resource.</summary>
internal sealed class QueryNode
{
    public List<Condition> Filters { get; } = [];

    public List<OrderTerm> Order { get; } = [];

    public long? Limit { get; set; }

    public long? Offset { get; set; }
}
