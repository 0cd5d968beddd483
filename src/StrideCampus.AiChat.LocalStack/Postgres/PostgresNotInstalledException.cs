namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>Thrown when no PostgreSQL server binaries can be found on this machine.</summary>
public sealed class PostgresNotInstalledException : Exception
{
    /// <summary>Creates the exception with the places that were searched.</summary>
    public PostgresNotInstalledException(string searched)
        : base("PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Searched: " + searched +
               ". Install them with 'apt-get install postgresql' (Debian/Ubuntu package 'postgresql', version 15 or newer), " +
               "or set EmbeddedPostgresOptions.BinDirectory / the environment variable PG_BINDIR.")
    {
    }
}
