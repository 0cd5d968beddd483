namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary><c>column=[not.]op.value</c>; <see cref="Values"/> holds the list of <c>in</c>.</summary>
internal sealed record FilterCondition(string Column, string Operator, string Value, IReadOnlyList<string>? Values, bool Negated) : Condition(Negated);
