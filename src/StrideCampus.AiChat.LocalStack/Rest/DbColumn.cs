namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>A column from the catalog: its name and its type as <c>format_type</c> prints it.</summary>
internal sealed record DbColumn(string Name, string Type, bool NotNull, bool HasDefault);
