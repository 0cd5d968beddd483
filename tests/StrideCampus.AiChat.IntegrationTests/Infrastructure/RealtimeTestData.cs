using Npgsql;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>Users, tokens and rows for realtime tests, written straight to Postgres as the superuser.</summary>
public static class RealtimeTestData
{
    public static async Task<Guid> CreateUserAsync(LocalStackServer stack)
    {
        await using var conn = new NpgsqlConnection(stack.Postgres.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "insert into auth.users (email, encrypted_password, email_confirmed_at) values ($1, 'x', now()) returning id", conn);
        cmd.Parameters.AddWithValue($"rt-{Guid.NewGuid():N}@example.test");
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    public static string Token(LocalStackServer stack, Guid userId, TimeSpan? lifetime = null) =>
        stack.Jwt.CreateUserToken(userId, lifetime ?? TimeSpan.FromHours(1));

    public static async Task<T> ScalarAsync<T>(LocalStackServer stack, string sql, params object?[] args)
    {
        await using var conn = new NpgsqlConnection(stack.Postgres.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a ?? DBNull.Value });
        }
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(LocalStackServer stack, string sql, params object?[] args)
    {
        await using var conn = new NpgsqlConnection(stack.Postgres.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a ?? DBNull.Value });
        }
        await cmd.ExecuteNonQueryAsync();
    }

    public static Task<Guid> CreateSessionAsync(LocalStackServer stack, Guid userId, string title = "chat") =>
        ScalarAsync<Guid>(stack, "insert into public.ai_chat_sessions (user_id, title) values ($1, $2) returning id", userId, title);
}
