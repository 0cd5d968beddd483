using StrideCampus.AiChat.LocalStack.Postgres;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>
/// Which JWT secret a stack signs with: the one given (<c>--jwt-secret</c>), else the one kept in a kept data
/// directory (created there on first start), else a new random one. Keys made from a kept secret stay valid
/// across restarts, as a hosted project's keys do.
/// </summary>
internal static class JwtSecretStore
{
    internal const string FileName = "localstack.jwt-secret";

    public static string Resolve(LocalStackOptions options, EmbeddedPostgres postgres)
    {
        if (options.JwtSecret is { } given)
        {
            return given;
        }
        if (options.Postgres.DataDirectory is not { Length: > 0 })
        {
            return Auth.JwtService.NewSecret();
        }
        var path = Path.Combine(postgres.DataDirectory, FileName);
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: >= 32 } kept)
        {
            return kept;
        }
        var secret = Auth.JwtService.NewSecret();
        File.WriteAllText(path, secret);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return secret;
    }
}
