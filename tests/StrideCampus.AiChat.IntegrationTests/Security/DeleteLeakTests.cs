using System.Collections.Concurrent;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.Security;

/// <summary>
/// Supabase does not check deletes against RLS, but matches a subscriber's filters against the old row
/// (supabase/realtime <c>realtime.apply_rls</c>: <c>action = 'DELETE' and is_visible_through_filters(old_columns, ...)</c>).
/// Under <c>REPLICA IDENTITY FULL</c> the old row is whole, so another user's filtered DELETE bindings told them the
/// owner and the text of a deleted row by which of them fired. With the default identity the old row holds only the
/// primary key, a filter on any other column never matches, and the owner's clients learn of deletes from the
/// RLS-protected deletion log instead.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class DeleteLeakTests(LocalStackFixture fixture, ITestOutputHelper output)
{
    private async Task<RealtimeClient> ConnectAsAsync(Guid user)
    {
        var client = new RealtimeClient(
            new RealtimeClientOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey, Timeout = TimeSpan.FromSeconds(5) },
            new StaticAccessTokenProvider(RealtimeTestData.Token(fixture.Stack, user)));
        await client.ConnectAsync();
        return client;
    }

    [Fact]
    public async Task B_probing_delete_bindings_never_fire_on_A_deletes_while_A_other_tab_sees_every_delete()
    {
        var a = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var b = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var kept = await RealtimeTestData.CreateSessionAsync(fixture.Stack, a, "A-SECRET-TITLE-kept");
        var doomed = await RealtimeTestData.CreateSessionAsync(fixture.Stack, a, "A-SECRET-TITLE-doomed");
        var bSession = await RealtimeTestData.CreateSessionAsync(fixture.Stack, b, "b own");
        var secret = await RealtimeTestData.ScalarAsync<Guid>(fixture.Stack,
            "insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, 'A-SECRET-alpha') returning id", kept, a);
        await RealtimeTestData.ExecuteAsync(fixture.Stack,
            "insert into ai_chat_messages (session_id, user_id, content) select $1, $2, 'A-SECRET-in-doomed-' || g from generate_series(1, 3) g", doomed, a);

        await using var tab1 = await ChatTab.OpenAsync(fixture.Stack, a);
        await using var tab2 = await ChatTab.OpenAsync(fixture.Stack, a);
        await using var bTab = await ChatTab.OpenAsync(fixture.Stack, b);

        // B probes with filtered DELETE bindings, each naming a guess about A's rows, plus two unfiltered ones.
        await using var probe = await ConnectAsAsync(b);
        var fired = new ConcurrentQueue<(string Binding, PostgresChangeEvent Event)>();
        var bindings = new (string Name, string Table, string? Filter)[]
        {
            ("messages-user-A", "ai_chat_messages", $"user_id=eq.{a}"),
            ("messages-session-A", "ai_chat_messages", $"session_id=eq.{kept}"),
            ("messages-content-prefix", "ai_chat_messages", "content=gte.A-SECRET"),
            ("messages-content-upper", "ai_chat_messages", "content=lt.A-SECRET-b"),
            ("messages-is-user", "ai_chat_messages", "is_user=eq.true"),
            ("messages-status", "ai_chat_messages", "status=in.(complete,pending,streaming,error)"),
            ("messages-not-b", "ai_chat_messages", $"user_id=neq.{b}"),
            ("sessions-user-A", "ai_chat_sessions", $"user_id=eq.{a}"),
            ("sessions-title", "ai_chat_sessions", "title=gte.A-SECRET"),
            ("sessions-inactive", "ai_chat_sessions", "is_active=eq.false"),
            ("messages-unfiltered", "ai_chat_messages", null),
            ("sessions-unfiltered", "ai_chat_sessions", null),
        };
        var channel = probe.Channel("probe-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (name, table, filter) in bindings)
        {
            channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.Delete, "public", table, filter))
                .Subscribe(e => fired.Enqueue((name, e)));
        }

        await channel.SubscribeAsync();

        // A deletes a message in one tab, and a whole session in the other.
        var reconciliations = tab2.Store.Current.Stats.Reconciliations;
        await tab1.Store.DeleteMessageAsync(secret);
        await tab1.Store.DeleteSessionAsync(doomed);

        // A's other tab sees both deletes live (not through a refetch).
        await Eventually.TrueAsync(() => tab2.Store.GetSessionById(doomed) is null, "A's other tab drops the deleted session");
        await Eventually.TrueAsync(() => tab2.Store.GetSessionById(kept)!.Messages.All(m => m.Id != secret), "A's other tab drops the deleted message");
        Assert.Equal(reconciliations, tab2.Store.Current.Stats.Reconciliations);

        // B's unfiltered bindings get the deletes (Supabase sends them, key only): delivery works, so silence is meaningful.
        await Eventually.TrueAsync(() => fired.Any(f => f.Binding == "messages-unfiltered" && f.Event.Old?.GetRawText().Contains(secret.ToString(), StringComparison.Ordinal) == true),
            "B's unfiltered message binding sees the key of A's deleted message");
        await Eventually.TrueAsync(() => fired.Any(f => f.Binding == "sessions-unfiltered" && f.Event.Old?.GetRawText().Contains(doomed.ToString(), StringComparison.Ordinal) == true),
            "B's unfiltered session binding sees the key of A's deleted session");
        // A barrier: B deletes a row of its own after A's deletes; once B's unfiltered binding has it, A's deletes were all dispatched.
        var barrier = await RealtimeTestData.ScalarAsync<Guid>(fixture.Stack,
            "insert into ai_chat_messages (session_id, user_id, content) values ($1, $2, 'barrier') returning id", bSession, b);
        await RealtimeTestData.ExecuteAsync(fixture.Stack, "delete from ai_chat_messages where id = $1", barrier);
        await Eventually.TrueAsync(() => fired.Any(f => f.Binding == "messages-unfiltered" && f.Event.Old?.GetRawText().Contains(barrier.ToString(), StringComparison.Ordinal) == true),
            "B's barrier delete arrives");

        var probes = fired.Where(f => !f.Binding.EndsWith("-unfiltered", StringComparison.Ordinal)).ToList();
        output.WriteLine($"B's bindings fired {fired.Count} times: " + string.Join(", ", fired.GroupBy(f => f.Binding).Select(g => $"{g.Key} x{g.Count()}")));
        Assert.True(probes.Count == 0, "B's filtered bindings fired on A's deletes, telling B what the rows held: " +
            string.Join("; ", probes.Select(p => $"{p.Binding} {p.Event.Old?.GetRawText()}")));
        // What did arrive carries the primary key and nothing else.
        Assert.All(fired, f => Assert.Equal(["id"], f.Event.Old!.Value.EnumerateObject().Select(p => p.Name).ToArray()));

        // And B's own store never held any of A's rows.
        Assert.DoesNotContain(bTab.Store.Current.Sessions, s => s.Id == kept || s.Id == doomed);
        Assert.Equal([bSession], bTab.Store.Current.Sessions.Select(s => s.Id));
        await channel.DisposeAsync();
    }

    [Fact]
    public async Task The_deletion_log_is_the_owners_alone_over_rest_and_realtime_and_cannot_be_written_through_the_api()
    {
        var a = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var b = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var aSession = await RealtimeTestData.CreateSessionAsync(fixture.Stack, a, "a");
        var bSession = await RealtimeTestData.CreateSessionAsync(fixture.Stack, b, "b");
        await using var aTab = await ChatTab.OpenAsync(fixture.Stack, a);
        await using var bTab = await ChatTab.OpenAsync(fixture.Stack, b);

        // B listens to every insert into the log, unfiltered, and filtered on A.
        await using var probe = await ConnectAsAsync(b);
        var heard = new ConcurrentQueue<(string Binding, PostgresChangeEvent Event)>();
        var channel = probe.Channel("log-probe-" + Guid.NewGuid().ToString("N")[..8]);
        channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "ai_chat_deletions")).Subscribe(e => heard.Enqueue(("all", e)));
        channel.OnPostgresChanges(new PostgresChangesFilter(PostgresChangeEventFilter.All, "public", "ai_chat_deletions", $"user_id=eq.{a}")).Subscribe(e => heard.Enqueue(("user-A", e)));
        await channel.SubscribeAsync();

        var aMessage = await aTab.Store.AddMessageAsync(aSession, "a's message");
        await aTab.Store.DeleteMessageAsync(aMessage.Id);
        await aTab.Store.DeleteSessionAsync(aSession);
        // B's own delete is the barrier: once B hears it, A's entries (logged before it) were dispatched.
        await bTab.Store.DeleteSessionAsync(bSession);
        await Eventually.TrueAsync(() => heard.Any(h => h.Binding == "all" && h.Event.New?.GetRawText().Contains(bSession.ToString(), StringComparison.Ordinal) == true),
            "B hears its own deletion");
        Assert.DoesNotContain(heard, h => h.Event.New?.GetRawText().Contains(a.ToString(), StringComparison.Ordinal) == true);
        Assert.DoesNotContain(heard, h => h.Binding == "user-A");

        // Over REST each user reads only their own entries: A two (the message, the session), B one.
        var aLog = await RealtimeTestData.ScalarAsync<long>(fixture.Stack, "select count(*) from ai_chat_deletions where user_id = $1", a);
        Assert.Equal(2, aLog);
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiUrl };
        async Task<string> ReadLogAsync(Guid user, string query)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "rest/v1/ai_chat_deletions?" + query);
            request.Headers.Add("apikey", fixture.Stack.AnonKey);
            request.Headers.Authorization = new("Bearer", RealtimeTestData.Token(fixture.Stack, user));
            using var response = await http.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        var seenByB = await ReadLogAsync(b, "select=user_id,row_id");
        Assert.Contains(bSession.ToString(), seenByB, StringComparison.Ordinal);
        Assert.DoesNotContain(a.ToString(), seenByB, StringComparison.Ordinal);
        Assert.Equal("[]", await ReadLogAsync(b, $"select=row_id&user_id=eq.{a}"));
        Assert.Contains(aSession.ToString(), await ReadLogAsync(a, "select=row_id"), StringComparison.Ordinal);

        // Nobody writes the log through the API: a forged entry would delete rows from the owner's other clients.
        using var forge = new HttpRequestMessage(HttpMethod.Post, "rest/v1/ai_chat_deletions")
        {
            Content = new StringContent($$"""{"user_id":"{{b}}","table_name":"ai_chat_sessions","row_id":"{{Guid.NewGuid()}}","session_id":"{{Guid.NewGuid()}}"}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        forge.Headers.Add("apikey", fixture.Stack.AnonKey);
        forge.Headers.Authorization = new("Bearer", RealtimeTestData.Token(fixture.Stack, b));
        using var refused = await http.SendAsync(forge);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        await channel.DisposeAsync();
    }
}
