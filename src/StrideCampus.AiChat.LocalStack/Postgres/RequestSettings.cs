using Npgsql;
using NpgsqlTypes;

namespace StrideCampus.AiChat.LocalStack.Postgres;

/// <summary>
/// The statement that makes a transaction act as a request's user: <c>request.jwt.claims</c> and <c>role</c>
/// (all transaction-local), in the variants the REST and Realtime checks run. The SQL texts stay fixed, so the
/// authenticator's auto-prepared statements are reused.
/// </summary>
internal static class RequestSettings
{
    private const string ClaimsAndRoleSql = "select set_config('request.jwt.claims', $1, true), set_config('role', $2, true)";
    private const string ReadOnlySql = ClaimsAndRoleSql + ", set_config('transaction_read_only', 'on', true)";

    // PostgREST applies the impersonated role's own settings (ALTER ROLE ... SET) per request
    // (src/library/PostgREST/AppState/Reload.hs, queryRoleSettings): on Supabase, statement_timeout 3 s for anon
    // and 8 s for authenticated. SET ROLE alone would not apply them.
    private const string RoleTimeoutSql =
        ", set_config('statement_timeout', coalesce((select split_part(c, '=', 2) from pg_catalog.pg_db_role_setting s " +
        "cross join unnest(s.setconfig) c where s.setdatabase = 0 and s.setrole = (select oid from pg_catalog.pg_roles where rolname = $2) " +
        "and c like 'statement\\_timeout=%'), current_setting('statement_timeout')), true)";

    // Realtime Authorization also sets the topic, the claim shortcuts and the headers, as Supabase Realtime does.
    private const string TopicSql =
        "select set_config('role', $1, true), set_config('realtime.topic', $2, true), set_config('request.jwt.claims', $3, true), " +
        "set_config('request.jwt.claim.sub', coalesce($3::jsonb ->> 'sub', ''), true), set_config('request.jwt.claim.role', $1, true), " +
        "set_config('request.headers', $4, true)";

    /// <summary>Sets the claims and role; with <paramref name="readOnly"/>, also makes the transaction read-only.</summary>
    /// <param name="claimsJson">The JWT claims.</param>
    /// <param name="role">The role to act as.</param>
    /// <param name="readOnly">Also makes the transaction read-only.</param>
    /// <param name="roleTimeout">Also applies the role's own <c>statement_timeout</c>, as PostgREST does.</param>
    public static NpgsqlBatchCommand Command(string claimsJson, string role, bool readOnly = false, bool roleTimeout = false)
    {
        var sql = readOnly ? ReadOnlySql : ClaimsAndRoleSql;
        var command = new NpgsqlBatchCommand(roleTimeout ? sql + RoleTimeoutSql : sql);
        command.Parameters.Add(Text(claimsJson));
        command.Parameters.Add(Text(role));
        return command;
    }

    /// <summary>
    /// Sets the claims and role for a Realtime topic check: also <c>realtime.topic</c>, <c>request.jwt.claim.sub</c>,
    /// <c>request.jwt.claim.role</c> and <c>request.headers</c>.
    /// </summary>
    public static NpgsqlBatchCommand TopicCommand(string claimsJson, string role, string topic, string headersJson)
    {
        var command = new NpgsqlBatchCommand(TopicSql);
        command.Parameters.Add(Text(role));
        command.Parameters.Add(Text(topic));
        command.Parameters.Add(Text(claimsJson));
        command.Parameters.Add(Text(headersJson));
        return command;
    }

    private static NpgsqlParameter Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value };
}
