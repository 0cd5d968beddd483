namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>
/// One option of <c>start</c>: its name, its value's placeholder (null for a switch), what it does, how its
/// default reads on fresh <see cref="LocalStackOptions"/>, and how it applies a value (false when the value is bad).
/// </summary>
internal sealed record StartOption(
    string Name,
    string? Value,
    string Help,
    Func<LocalStackOptions, string> Default,
    Func<LocalStackOptions, string?, bool> Apply);
