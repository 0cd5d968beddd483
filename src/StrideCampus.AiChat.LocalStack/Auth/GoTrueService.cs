using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Auth;

/// <summary>
/// The GoTrue subset behind /auth/v1: users in auth.users (bcrypt through pgcrypto), sessions in
/// auth.sessions, single-use rotating refresh tokens in auth.refresh_tokens, HS256 access tokens.
/// </summary>
internal sealed class GoTrueService : IAsyncDisposable
{
    internal const int MinimumPasswordLength = 6;

    // The user as GoTrue returns it, built by Postgres so timestamps keep their precision.
    private const string UserJsonSql = """
        json_build_object(
          'id', u.id, 'aud', coalesce(u.aud, 'authenticated'), 'role', coalesce(u.role, 'authenticated'),
          'email', u.email, 'email_confirmed_at', u.email_confirmed_at, 'phone', '',
          'confirmed_at', u.email_confirmed_at, 'last_sign_in_at', u.last_sign_in_at,
          'app_metadata', coalesce(u.raw_app_meta_data, '{}'::jsonb),
          'user_metadata', coalesce(u.raw_user_meta_data, '{}'::jsonb),
          'identities', json_build_array(json_build_object(
              'identity_id', u.id, 'id', u.id::text, 'user_id', u.id, 'provider', 'email', 'email', u.email,
              'identity_data', json_build_object('sub', u.id::text, 'email', u.email, 'email_verified', u.email_confirmed_at is not null, 'phone_verified', false),
              'last_sign_in_at', u.last_sign_in_at, 'created_at', u.created_at, 'updated_at', u.updated_at)),
          'created_at', u.created_at, 'updated_at', u.updated_at, 'is_anonymous', u.is_anonymous)::text
        """;

    private readonly LocalStackContext _context;
    private readonly NpgsqlDataSource _db;

    // GoTrue hashes with bcrypt.DefaultCost, 10 (supabase/auth internal/crypto/password.go, GenerateFromPassword);
    // pgcrypto's gen_salt('bf') alone would use 6.
    private string BcryptSalt => "gen_salt('bf', " + _context.Options.PasswordHashCost.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";

    public GoTrueService(LocalStackContext context)
    {
        _context = context;
        _db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(context.Postgres.ConnectionString) { MaxPoolSize = 16 }.ConnectionString);
    }

    /// <summary>POST /signup: creates a confirmed user and signs it in.</summary>
    public async Task<JsonObject> SignUpAsync(string? email, string? password, JsonNode? data, CancellationToken cancellationToken)
    {
        email = NormalizeEmail(email);
        ValidatePassword(password);
        Guid userId;
        try
        {
            await using var cmd = _db.CreateCommand(
                "insert into auth.users (instance_id, email, encrypted_password, email_confirmed_at, raw_user_meta_data, last_sign_in_at) " +
                "values ('00000000-0000-0000-0000-000000000000', $1, crypt($2, " + BcryptSalt + "), now(), coalesce($3::jsonb, '{}'::jsonb), now()) returning id");
            cmd.Parameters.AddWithValue(email);
            cmd.Parameters.AddWithValue(password!);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)MetadataJson(data) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            userId = (Guid)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw GoTrueException.Unprocessable("user_already_exists", "User already registered");
        }
        return await IssueSessionAsync(userId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /token?grant_type=password.</summary>
    public async Task<JsonObject> PasswordGrantAsync(string? email, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password))
        {
            throw GoTrueException.BadRequest("validation_failed", "missing email or phone");
        }
        await using var cmd = _db.CreateCommand(
            "update auth.users set last_sign_in_at = now() where email = $1 and encrypted_password = crypt($2, encrypted_password) returning id");
        cmd.Parameters.AddWithValue(email.Trim().ToLowerInvariant());
        cmd.Parameters.AddWithValue(password);
        var id = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (id is not Guid userId)
        {
            throw GoTrueException.BadRequest("invalid_credentials", "Invalid login credentials");
        }
        return await IssueSessionAsync(userId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// POST /token?grant_type=refresh_token, as supabase/auth <c>internal/tokens/service.go</c> (v1 tokens): a token is
    /// revoked when used and a new one of the same session is returned. A revoked token is still accepted when it is the
    /// parent of the session's active token (the client lost the reply: the active token is returned again) or when it
    /// was revoked less than <see cref="LocalStackOptions.RefreshTokenReuseInterval"/> ago (a new token is issued);
    /// otherwise the whole session's tokens are revoked and the reply is <c>refresh_token_already_used</c>.
    /// Refreshes of one session are serialised on its row, as GoTrue locks it.
    /// </summary>
    public async Task<JsonObject> RefreshAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(refreshToken))
        {
            throw GoTrueException.BadRequest("validation_failed", "refresh_token required");
        }
        await using var conn = await _db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        Guid userId;
        Guid sessionId;
        bool revoked;
        bool withinReuse;
        await using (var cmd = new NpgsqlCommand(
            "select t.user_id, t.session_id, t.revoked, t.updated_at + make_interval(secs => $2) >= now() " +
            "from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id where t.token = $1 for update of t, s", conn, tx))
        {
            cmd.Parameters.AddWithValue(refreshToken);
            cmd.Parameters.AddWithValue(_context.Options.RefreshTokenReuseInterval.TotalSeconds);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw GoTrueException.BadRequest("refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
            }
            (userId, sessionId, revoked, withinReuse) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetBoolean(2), reader.GetBoolean(3));
        }
        if (revoked)
        {
            await using var active = new NpgsqlCommand(
                "select token from auth.refresh_tokens where session_id = $1 and not revoked and parent = $2 " +
                "and id = (select max(id) from auth.refresh_tokens where session_id = $1 and not revoked)", conn, tx);
            active.Parameters.AddWithValue(sessionId);
            active.Parameters.AddWithValue(refreshToken);
            if (await active.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string child)
            {
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                return await SessionJsonAsync(userId, sessionId, child, cancellationToken).ConfigureAwait(false);
            }
            if (!withinReuse)
            {
                await using var family = new NpgsqlCommand(
                    "update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and not revoked", conn, tx);
                family.Parameters.AddWithValue(sessionId);
                await family.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                throw GoTrueException.BadRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used");
            }
        }
        var newToken = NewRefreshToken();
        await using (var cmd = new NpgsqlCommand(
            "with r as (update auth.refresh_tokens set revoked = true, updated_at = case when revoked then updated_at else now() end where token = $4), " +
            "s as (update auth.sessions set updated_at = now() where id = $3) " +
            "insert into auth.refresh_tokens (token, user_id, session_id, parent) values ($1, $2, $3, $4)", conn, tx))
        {
            cmd.Parameters.AddWithValue(newToken);
            cmd.Parameters.AddWithValue(userId);
            cmd.Parameters.AddWithValue(sessionId);
            cmd.Parameters.AddWithValue(refreshToken);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return await SessionJsonAsync(userId, sessionId, newToken, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks a user's bearer token as GoTrue does: signature, expiry, subject and a live session.</summary>
    public async Task<AuthenticatedUser> AuthenticateAsync(string? bearer, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(bearer))
        {
            throw GoTrueException.Unauthorized("no_authorization", "This endpoint requires a valid Bearer token");
        }
        var validation = await _context.Jwt.ValidateAsync(bearer).ConfigureAwait(false);
        if (!validation.IsValid)
        {
            throw GoTrueException.Forbidden("bad_jwt", validation.Expired
                ? "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired"
                : "invalid JWT: unable to parse or verify signature, signature is invalid");
        }
        if (!Guid.TryParse(validation.Subject, out var userId))
        {
            throw GoTrueException.Forbidden("bad_jwt", "invalid claim: missing sub claim");
        }
        Guid? sessionId = null;
        if (validation.Identity?.FindFirst("session_id")?.Value is { } sid)
        {
            if (!Guid.TryParse(sid, out var parsed))
            {
                throw GoTrueException.Forbidden("bad_jwt", "invalid claim: session_id claim in JWT is not a UUID");
            }
            sessionId = parsed;
            await using var cmd = _db.CreateCommand("select 1 from auth.sessions where id = $1 and user_id = $2");
            cmd.Parameters.AddWithValue(parsed);
            cmd.Parameters.AddWithValue(userId);
            if (await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                throw GoTrueException.Forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
            }
        }
        return new AuthenticatedUser(userId, sessionId, validation);
    }

    /// <summary>The user JSON, or a GoTrue error when the user is gone.</summary>
    public async Task<string> GetUserJsonAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var cmd = _db.CreateCommand($"select {UserJsonSql} from auth.users u where u.id = $1");
        cmd.Parameters.AddWithValue(userId);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string
            ?? throw GoTrueException.NotFound("user_not_found", "User not found");
    }

    /// <summary>PUT /user: changes the password, e-mail or user metadata (merged) of the signed-in user.</summary>
    public async Task<string> UpdateUserAsync(Guid userId, string? email, string? password, JsonNode? data, CancellationToken cancellationToken)
    {
        if (email is not null)
        {
            email = NormalizeEmail(email);
        }
        if (password is not null)
        {
            ValidatePassword(password);
        }
        try
        {
            await using var cmd = _db.CreateCommand(
                "update auth.users as u set " +
                "email = coalesce($2, u.email), " +
                "encrypted_password = case when $3::text is null then u.encrypted_password else crypt($3, " + BcryptSalt + ") end, " +
                "raw_user_meta_data = coalesce(u.raw_user_meta_data, '{}'::jsonb) || coalesce($4::jsonb, '{}'::jsonb), " +
                $"updated_at = now() where u.id = $1 returning {UserJsonSql}");
            cmd.Parameters.AddWithValue(userId);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)email ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)password ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)MetadataJson(data) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string
                ?? throw GoTrueException.NotFound("user_not_found", "User not found");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw GoTrueException.Unprocessable("email_exists", "A user with this email address has already been registered");
        }
    }

    /// <summary>POST /logout?scope=global|local|others: ends sessions and their refresh tokens.</summary>
    public async Task LogoutAsync(AuthenticatedUser user, string? scope, CancellationToken cancellationToken)
    {
        var sql = scope switch
        {
            null or "" or "global" => "delete from auth.sessions where user_id = $1",
            "local" => "delete from auth.sessions where user_id = $1 and id = $2",
            "others" => "delete from auth.sessions where user_id = $1 and id is distinct from $2",
            _ => throw GoTrueException.BadRequest("validation_failed", "Unsupported logout scope \"" + scope + "\""),
        };
        await using var cmd = _db.CreateCommand(sql);
        cmd.Parameters.AddWithValue(user.UserId);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)user.SessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /admin/users.</summary>
    public async Task<string> AdminCreateUserAsync(string? email, string? password, bool emailConfirm, JsonNode? userMetadata, JsonNode? appMetadata, CancellationToken cancellationToken)
    {
        email = NormalizeEmail(email);
        if (password is not null)
        {
            ValidatePassword(password);
        }
        try
        {
            await using var cmd = _db.CreateCommand(
                "insert into auth.users as u (instance_id, email, encrypted_password, email_confirmed_at, raw_user_meta_data, raw_app_meta_data) " +
                "values ('00000000-0000-0000-0000-000000000000', $1, case when $2::text is null then null else crypt($2, " + BcryptSalt + ") end, " +
                "case when $3 then now() end, coalesce($4::jsonb, '{}'::jsonb), '{\"provider\":\"email\",\"providers\":[\"email\"]}'::jsonb || coalesce($5::jsonb, '{}'::jsonb)) " +
                $"returning {UserJsonSql}");
            cmd.Parameters.AddWithValue(email);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)password ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            cmd.Parameters.AddWithValue(emailConfirm);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)MetadataJson(userMetadata) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)MetadataJson(appMetadata) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            return (string)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw GoTrueException.Unprocessable("email_exists", "A user with this email address has already been registered");
        }
    }

    /// <summary>GET /admin/users?page=&amp;per_page=: one page of users and the total count.</summary>
    public async Task<(string UsersJsonArray, long Total)> AdminListUsersAsync(int page, int perPage, CancellationToken cancellationToken)
    {
        await using var cmd = _db.CreateCommand(
            $"select coalesce(json_agg(x.j order by x.created_at), '[]')::text, (select count(*) from auth.users) from " +
            $"(select {UserJsonSql} ::json as j, u.created_at from auth.users u order by u.created_at, u.id limit $1 offset $2) x");
        cmd.Parameters.AddWithValue(perPage);
        cmd.Parameters.AddWithValue((page - 1) * perPage);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetString(0), reader.GetInt64(1));
    }

    /// <summary>DELETE /admin/users/{id}.</summary>
    public async Task<string> AdminDeleteUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        var json = await GetUserJsonAsync(userId, cancellationToken).ConfigureAwait(false);
        await using var cmd = _db.CreateCommand("delete from auth.users where id = $1");
        cmd.Parameters.AddWithValue(userId);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return json;
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private async Task<JsonObject> IssueSessionAsync(Guid userId, CancellationToken cancellationToken)
    {
        var token = NewRefreshToken();
        await using var cmd = _db.CreateCommand(
            "with s as (insert into auth.sessions (user_id) values ($1) returning id) " +
            "insert into auth.refresh_tokens (token, user_id, session_id) select $2, $1, s.id from s returning session_id");
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(token);
        var sessionId = (Guid)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return await SessionJsonAsync(userId, sessionId, token, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonObject> SessionJsonAsync(Guid userId, Guid sessionId, string refreshToken, CancellationToken cancellationToken)
    {
        var userJson = await GetUserJsonAsync(userId, cancellationToken).ConfigureAwait(false);
        using var user = JsonDocument.Parse(userJson);
        var root = user.RootElement;
        var now = DateTimeOffset.UtcNow;
        var lifetime = _context.Options.AccessTokenLifetime;
        var expiresAt = now.Add(lifetime).ToUnixTimeSeconds();
        var claims = new Dictionary<string, object>
        {
            ["iss"] = "supabase-localstack/auth/v1",
            ["sub"] = userId.ToString(),
            ["aud"] = "authenticated",
            ["exp"] = expiresAt,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["email"] = root.GetProperty("email").GetString() ?? "",
            ["phone"] = "",
            ["app_metadata"] = root.GetProperty("app_metadata").Clone(),
            ["user_metadata"] = root.GetProperty("user_metadata").Clone(),
            ["role"] = root.GetProperty("role").GetString() ?? "authenticated",
            ["aal"] = "aal1",
            ["amr"] = JsonDocument.Parse($$"""[{"method":"password","timestamp":{{now.ToUnixTimeSeconds()}}}]""").RootElement.Clone(),
            ["session_id"] = sessionId.ToString(),
            ["is_anonymous"] = false,
        };
        return new JsonObject
        {
            ["access_token"] = _context.Jwt.Create(claims),
            ["token_type"] = "bearer",
            ["expires_in"] = (long)lifetime.TotalSeconds,
            ["expires_at"] = expiresAt,
            ["refresh_token"] = refreshToken,
            ["user"] = JsonNode.Parse(userJson),
        };
    }

    private static string NormalizeEmail(string? email)
    {
        email = email?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(email))
        {
            throw GoTrueException.BadRequest("validation_failed", "To signup, please provide your email");
        }
        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != email.LastIndexOf('@') || email.IndexOf('.', at) < at + 2 || email.EndsWith('.') || email.Length > 255 || email.Any(char.IsWhiteSpace))
        {
            throw GoTrueException.BadRequest("validation_failed", "Unable to validate email address: invalid format");
        }
        return email;
    }

    private static void ValidatePassword(string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            throw GoTrueException.BadRequest("validation_failed", "Signup requires a valid password");
        }
        if (password.Length < MinimumPasswordLength)
        {
            throw new GoTrueException(422, "weak_password", $"Password should be at least {MinimumPasswordLength} characters.", ["length"]);
        }
        if (System.Text.Encoding.UTF8.GetByteCount(password) > 72)
        {
            throw GoTrueException.BadRequest("validation_failed", "Password cannot be longer than 72 characters");
        }
    }

    private static string? MetadataJson(JsonNode? node) => node is JsonObject obj ? obj.ToJsonString() : null;

    private static string NewRefreshToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
}
