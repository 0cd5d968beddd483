namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// One <c>column=op.value</c> condition; <see cref="Values"/> has several entries for <c>in</c>; <see cref="Negate"/>
/// for the <c>not.</c> prefix.
/// </summary>
internal sealed record FilterCondition(string Column, FilterOperator Operator, IReadOnlyList<string> Values, bool Negate = false);
