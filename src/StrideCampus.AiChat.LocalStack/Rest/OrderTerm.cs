namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>One term of <c>order=col.desc.nullslast</c>.</summary>
internal sealed record OrderTerm(string Column, bool Descending, bool? NullsFirst);
