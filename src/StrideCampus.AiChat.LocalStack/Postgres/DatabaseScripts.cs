using System.Reflection;

namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>
/// The repository's database/ scripts, embedded in this assembly, in the order a fresh database
/// needs them: what Supabase already provides (local/) first, then the schema, realtime, RLS, the stream topic's Realtime Authorization and the assistant reply requests.
/// </summary>
public static class DatabaseScripts
{
    private static readonly string[] Order =
    [
        "database/local/00_supabase_roles.sql",
        "database/local/01_auth_schema.sql",
        "database/local/02_supabase_grants.sql",
        "database/local/03_realtime_messages.sql",
        "database/ai_chat_schema.sql",
        "database/enable_ai_chat_realtime.sql",
        "database/ai_chat_rls_policies.sql",
        "database/ai_chat_stream_authorization.sql",
        "database/ai_chat_assistant_replies.sql",
    ];

    /// <summary>Script names and texts, in apply order.</summary>
    public static IReadOnlyList<(string Name, string Sql)> All { get; } = Load();

    private static (string Name, string Sql)[] Load()
    {
        var assembly = typeof(DatabaseScripts).Assembly;
        var result = new (string, string)[Order.Length];
        for (var i = 0; i < Order.Length; i++)
        {
            using var stream = assembly.GetManifestResourceStream(Order[i])
                ?? throw new InvalidOperationException($"Embedded script '{Order[i]}' is missing from {assembly.GetName().Name}.");
            using var reader = new StreamReader(stream);
            result[i] = (Order[i], reader.ReadToEnd());
        }
        return result;
    }
}
