using Npgsql;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Database;

/// <summary>
/// RLS on the real schema, as the API roles with two users' claims: user B never reads or changes
/// user A's rows, and anon sees nothing.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RowLevelSecurityTests(PostgresFixture db)
{
    private async Task<(Guid UserA, Guid UserB, Guid SessionA, Guid MessageA)> SeedAsync()
    {
        var a = await db.CreateUserAsync();
        var b = await db.CreateUserAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        await using var s = asA.Command("insert into ai_chat_sessions (title) values ('A private chat') returning id");
        var sessionId = (Guid)(await s.ExecuteScalarAsync())!;
        await using var m = asA.Command("insert into ai_chat_messages (session_id, content) values ($1, 'secret of A') returning id", sessionId);
        var messageId = (Guid)(await m.ExecuteScalarAsync())!;
        await asA.CommitAsync();
        return (a, b, sessionId, messageId);
    }

    [Fact]
    public async Task Owner_reads_own_rows_and_user_id_defaults_to_auth_uid()
    {
        var (a, _, sessionA, messageA) = await SeedAsync();
        await using var asA = await db.AsAsync("authenticated", a);
        Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_sessions where id = $1 and user_id = $2", sessionA, a));
        Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_messages where id = $1 and user_id = $2", messageA, a));
    }

    [Fact]
    public async Task Other_user_reads_none_of_A_sessions_or_messages()
    {
        var (_, b, sessionA, messageA) = await SeedAsync();
        await using var asB = await db.AsAsync("authenticated", b);
        Assert.Equal(0, await asB.CountAsync("select count(*) from ai_chat_sessions where id = $1", sessionA));
        Assert.Equal(0, await asB.CountAsync("select count(*) from ai_chat_messages where id = $1 or session_id = $2", messageA, sessionA));
    }

    [Fact]
    public async Task Other_user_cannot_update_or_delete_A_rows()
    {
        var (a, b, sessionA, messageA) = await SeedAsync();
        await using (var asB = await db.AsAsync("authenticated", b))
        {
            Assert.Equal(0, await asB.ExecuteAsync("update ai_chat_sessions set title = 'hijacked' where id = $1", sessionA));
            Assert.Equal(0, await asB.ExecuteAsync("update ai_chat_messages set content = 'hijacked' where id = $1", messageA));
            Assert.Equal(0, await asB.ExecuteAsync("delete from ai_chat_messages where id = $1", messageA));
            Assert.Equal(0, await asB.ExecuteAsync("delete from ai_chat_sessions where id = $1", sessionA));
            await asB.CommitAsync();
        }
        await using var asA = await db.AsAsync("authenticated", a);
        Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_sessions where id = $1 and title = 'A private chat'", sessionA));
        Assert.Equal(1, await asA.CountAsync("select count(*) from ai_chat_messages where id = $1 and content = 'secret of A'", messageA));
    }

    [Fact]
    public async Task Other_user_cannot_insert_a_message_into_A_session()
    {
        var (_, b, sessionA, _) = await SeedAsync();
        await using var asB = await db.AsAsync("authenticated", b);
        var ex = await Assert.ThrowsAsync<PostgresException>(() =>
            asB.ExecuteAsync("insert into ai_chat_messages (session_id, content) values ($1, 'intrusion')", sessionA));
        Assert.Equal("42501", ex.SqlState);
    }

    [Fact]
    public async Task Other_user_cannot_insert_a_message_claiming_A_as_owner()
    {
        var (a, b, sessionA, _) = await SeedAsync();
        await using var asB = await db.AsAsync("authenticated", b);
        var ex = await Assert.ThrowsAsync<PostgresException>(() =>
            asB.ExecuteAsync("insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, 'forged')", sessionA, a));
        Assert.Equal("42501", ex.SqlState);
    }

    [Fact]
    public async Task Other_user_cannot_move_own_message_into_A_session()
    {
        var (_, b, sessionA, _) = await SeedAsync();
        await using var asB = await db.AsAsync("authenticated", b);
        await using var s = asB.Command("insert into ai_chat_sessions (title) values ('B chat') returning id");
        var sessionB = (Guid)(await s.ExecuteScalarAsync())!;
        await using var m = asB.Command("insert into ai_chat_messages (session_id, content) values ($1, 'B msg') returning id", sessionB);
        var messageB = (Guid)(await m.ExecuteScalarAsync())!;
        var ex = await Assert.ThrowsAsync<PostgresException>(() =>
            asB.ExecuteAsync("update ai_chat_messages set session_id = $1 where id = $2", sessionA, messageB));
        Assert.Equal("42501", ex.SqlState);
    }

    [Fact]
    public async Task Other_user_cannot_create_a_session_for_A()
    {
        var (a, b, _, _) = await SeedAsync();
        await using var asB = await db.AsAsync("authenticated", b);
        var ex = await Assert.ThrowsAsync<PostgresException>(() =>
            asB.ExecuteAsync("insert into ai_chat_sessions (user_id, title) values ($1, 'planted')", a));
        Assert.Equal("42501", ex.SqlState);
    }

    [Fact]
    public async Task Anon_sees_nothing_and_cannot_write()
    {
        var (_, _, sessionA, _) = await SeedAsync();
        await using var anon = await db.AsAsync("anon", null);
        Assert.Equal(0, await anon.CountAsync("select count(*) from ai_chat_sessions"));
        Assert.Equal(0, await anon.CountAsync("select count(*) from ai_chat_messages"));
        var ex = await Assert.ThrowsAsync<PostgresException>(() =>
            anon.ExecuteAsync("insert into ai_chat_messages (session_id, content) values ($1, 'anon')", sessionA));
        Assert.Equal("42501", ex.SqlState);
    }

    [Fact]
    public async Task Service_role_bypasses_rls()
    {
        var (_, _, sessionA, _) = await SeedAsync();
        await using var service = await db.AsAsync("service_role", null);
        Assert.Equal(1, await service.CountAsync("select count(*) from ai_chat_sessions where id = $1", sessionA));
    }
}
