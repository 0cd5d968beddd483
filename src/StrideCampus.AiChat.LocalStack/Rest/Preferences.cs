namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>The <c>Prefer</c> header values PostgREST understands (all <c>Prefer</c> headers, comma-separated).</summary>
internal sealed record Preferences(string? Return, string? Count, string? Resolution, string? Missing)
{
    public bool Representation => Return == "representation";

    public bool ExactCount => Count is "exact" or "planned" or "estimated";

    public static Preferences Parse(IEnumerable<string?> headers)
    {
        string? ret = null, count = null, resolution = null, missing = null;
        foreach (var header in headers)
        {
            foreach (var part in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                {
                    continue;
                }
                var value = part[(eq + 1)..].Trim();
                switch (part[..eq].Trim())
                {
                    case "return": ret = value; break;
                    case "count": count = value; break;
                    case "resolution": resolution = value; break;
                    case "missing": missing = value; break;
                }
            }
        }
        return new Preferences(ret, count, resolution, missing);
    }
}
