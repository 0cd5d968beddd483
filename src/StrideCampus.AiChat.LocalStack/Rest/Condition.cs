namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>A row condition from a filter parameter or an <c>or</c>/<c>and</c> tree.</summary>
internal abstract record Condition(bool Negated);
