using StrideCampus.AiChat.LocalStack.Auth;
using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>What every endpoint of the stack shares: the database, the JWT service and the keys.</summary>
public sealed class LocalStackContext(EmbeddedPostgres postgres, JwtService jwt, string anonKey, string serviceRoleKey, LocalStackOptions options)
{
    /// <summary>The embedded database.</summary>
    public EmbeddedPostgres Postgres { get; } = postgres;

    /// <summary>Token issuing and validation.</summary>
    public JwtService Jwt { get; } = jwt;

    /// <summary>The anon API key.</summary>
    public string AnonKey { get; } = anonKey;

    /// <summary>The service-role API key.</summary>
    public string ServiceRoleKey { get; } = serviceRoleKey;

    /// <summary>The options the stack was started with.</summary>
    public LocalStackOptions Options { get; } = options;
}
