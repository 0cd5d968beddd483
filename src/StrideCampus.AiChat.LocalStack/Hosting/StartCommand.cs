using System.Globalization;
using System.Text;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>
/// The options of <c>start</c>, in one table: parsing and <c>--help</c> both read it, so an option is one entry
/// here (and a property of <see cref="LocalStackOptions"/>).
/// </summary>
internal static class StartCommand
{
    public const string Usage = "usage: StrideCampus.AiChat.LocalStack start [options]   (start --help lists them)";

    public static IReadOnlyList<StartOption> Options { get; } =
    [
        new("--port", "N", "HTTP port on 127.0.0.1; 0 picks a free one",
            o => Text(o.Port), (o, v) => Int(v, 0, 65535, n => o.Port = n)),
        new("--data-dir", "DIR", "keep the PostgreSQL cluster (and the JWT secret) in DIR across restarts; a throwaway cluster in /tmp when absent",
            o => o.Postgres.DataDirectory ?? "(throwaway)", (o, v) => Set(v, s => o.Postgres.DataDirectory = s)),
        new("--jwt-secret", "S", "sign keys and tokens with S (32+ characters), so keys stay the same across restarts",
            o => o.JwtSecret ?? "(kept in --data-dir, else random)", (o, v) => Set(v, s => o.JwtSecret = s, minLength: 32)),
        new("--max-rows", "N", "the most rows a REST read returns at every level, embeds included (Supabase's \"Max rows\"); 0 = no cap",
            o => Text(o.MaxRows), (o, v) => Int(v, 0, int.MaxValue, n => o.MaxRows = n)),
        new("--auth-rate-limits", "on|off", "GoTrue's per-IP limits on sign-up (30 per 5 min) and token requests (150 per 5 min), bursts of 30",
            o => o.AuthRateLimits ? "on" : "off", (o, v) => Switch(v, b => o.AuthRateLimits = b)),
        new("--private-only", null, "refuse public channel joins (\"PrivateOnly: This project only allows private channels\"), as Channel Restrictions do",
            o => o.PrivateOnly ? "on" : "off", (o, _) => o.PrivateOnly = true),
        new("--max-record-bytes", "N", "a larger change keeps only values of 64 bytes or less and carries \"Error 413: Payload Too Large\"; 0 = no limit",
            o => Text(o.MaxRecordBytes), (o, v) => Int(v, 0, int.MaxValue, n => o.MaxRecordBytes = n)),
        new("--events-per-second", "N", "the project's Realtime quota (Free 100, Pro 500): broadcasts over it close the receiving channels, changes are dropped",
            o => o.EventsPerSecond is { } n ? Text(n) : "off", (o, v) => Int(v, 1, int.MaxValue, n => o.EventsPerSecond = n)),
        new("--subscribe-delay-ms", "N", "postgres_changes flow only from \"Subscribed to PostgreSQL\", sent N ms after the join reply (changes before it are lost)",
            o => Text((int)o.SubscribeDelay.TotalMilliseconds), (o, v) => Int(v, 0, int.MaxValue, n => o.SubscribeDelay = TimeSpan.FromMilliseconds(n))),
    ];

    /// <summary>Parses the arguments after <c>start</c>; returns an error message, or null when <paramref name="options"/> is complete.</summary>
    public static string? Parse(IReadOnlyList<string> args, LocalStackOptions options)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var option = Options.FirstOrDefault(o => o.Name == args[i]);
            if (option is null)
            {
                return $"unknown option '{args[i]}'";
            }
            string? value = null;
            if (option.Value is not null)
            {
                if (i + 1 >= args.Count)
                {
                    return $"{option.Name} needs a value ({option.Value})";
                }
                value = args[++i];
            }
            if (!option.Apply(options, value))
            {
                return $"bad value '{value}' for {option.Name} {option.Value}";
            }
        }
        return null;
    }

    /// <summary>The <c>--help</c> text: every option with its default.</summary>
    public static string Help()
    {
        var defaults = new LocalStackOptions();
        var text = new StringBuilder();
        text.AppendLine("usage: StrideCampus.AiChat.LocalStack start [options]");
        text.AppendLine("Runs a local Supabase-compatible stack (auth, REST, realtime on an embedded PostgreSQL) until Ctrl+C or SIGTERM.");
        text.AppendLine();
        text.AppendLine("options:");
        var width = Options.Max(o => Left(o).Length) + 2;
        foreach (var option in Options)
        {
            text.Append("  ").Append(Left(option).PadRight(width)).Append(option.Help)
                .Append(" (default: ").Append(option.Default(defaults)).AppendLine(")");
        }
        text.Append("  ").Append("--help".PadRight(width)).AppendLine("show this text");
        return text.ToString();
    }

    private static string Left(StartOption option) => option.Value is null ? option.Name : option.Name + " " + option.Value;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool Int(string? value, int min, int max, Action<int> set)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            return false;
        }
        set(n);
        return true;
    }

    private static bool Switch(string? value, Action<bool> set)
    {
        if (value is not ("on" or "off"))
        {
            return false;
        }
        set(value == "on");
        return true;
    }

    private static bool Set(string? value, Action<string> set, int minLength = 1)
    {
        if (value is null || value.Length < minLength)
        {
            return false;
        }
        set(value);
        return true;
    }
}
