namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary><c>or=(...)</c> / <c>and=(...)</c>, possibly nested and negated.</summary>
internal sealed record LogicCondition(bool IsOr, IReadOnlyList<Condition> Children, bool Negated) : Condition(Negated);
