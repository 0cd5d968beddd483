using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Rest;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Assistant;

/// <summary>Only the owner may ask for, stop or regenerate a reply; only the service role may claim one.</summary>
[Collection(LocalStackCollection.Name)]
public sealed class AssistantReplySecurityTests(LocalStackFixture fixture)
{
    [Fact]
    public async Task Another_user_cannot_request_stop_or_regenerate_a_users_reply_through_the_store_rest_or_rpc()
    {
        var model = new PacedChatClient(words: 150, delay: TimeSpan.FromMilliseconds(20));
        var alice = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        var mallory = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var worker = await AssistantHost.StartAsync(fixture.Stack, model, "w-security");
        await using var aliceTab = await ChatTab.OpenAsync(fixture.Stack, alice);
        await using var malloryTab = await ChatTab.OpenAsync(fixture.Stack, mallory);
        var session = await aliceTab.Store.CreateSessionAsync("mine");
        await aliceTab.Store.AddMessageAsync(session.Id, "private question");
        var reply = await aliceTab.Store.RequestAssistantReplyAsync(session.Id);
        await Eventually.TrueAsync(
            () => aliceTab.Store.GetSessionById(session.Id)?.Messages.SingleOrDefault(m => m.Id == reply.Id) is { Status: MessageStatus.Streaming },
            "Alice's reply streams");
        var before = await RequestStateAsync(reply.Id);

        // Mallory's store: her own session id space holds none of Alice's, so she goes through the data source directly.
        var mallorySource = new PostgrestChatDataSource(malloryTab.Rest, mallory);
        await Assert.ThrowsAsync<PostgrestException>(() => mallorySource.RequestReplyAsync(session.Id, Guid.NewGuid(), CancellationToken.None));
        await Assert.ThrowsAsync<PostgrestException>(() => mallorySource.StopReplyAsync(reply.Id, CancellationToken.None));
        await Assert.ThrowsAsync<PostgrestException>(() => mallorySource.RegenerateReplyAsync(session.Id, Guid.NewGuid(), CancellationToken.None));
        var viaStore = await Assert.ThrowsAsync<ChatOperationException>(() => malloryTab.Store.StopAssistantReplyAsync(reply.Id));
        Assert.Equal(ChatOperation.StopReply, viaStore.Operation);
        // Reusing Alice's message id for a request of her own session does not hijack it either.
        var own = await malloryTab.Store.CreateSessionAsync("hers");
        await Assert.ThrowsAsync<PostgrestException>(() => mallorySource.RequestReplyAsync(own.Id, reply.Id, CancellationToken.None));

        // REST on the request table: no write grants for users, and reads show only their own rows.
        var requests = malloryTab.Rest.From("ai_chat_reply_requests", ChatJsonContext.Default.ChatRowId);
        await RefusedOrNoRowsAsync(() => requests.Eq("message_id", reply.Id.ToString()).UpdateAsync(new JsonObject { ["stop_requested"] = true }));
        await RefusedOrNoRowsAsync(() => requests.Eq("message_id", reply.Id.ToString()).DeleteAsync());
        await RefusedOrNoRowsAsync(() => requests.InsertAsync([new ChatRowId(Guid.NewGuid())]));
        Assert.Empty(await requests.GetAsync());
        // The worker's RPCs are the service role's alone.
        foreach (var (function, args) in new (string, JsonObject)[]
        {
            ("ai_chat_claim_replies", new JsonObject { ["p_worker"] = "mallory", ["p_lease_ms"] = 60000 }),
            ("ai_chat_renew_replies", new JsonObject { ["p_worker"] = "w-security", ["p_ids"] = new JsonArray(), ["p_lease_ms"] = 60000 }),
            ("ai_chat_finish_reply", new JsonObject { ["p_worker"] = "w-security", ["p_id"] = Guid.NewGuid().ToString() }),
            ("ai_chat_enqueue_reply", new JsonObject { ["p_caller"] = alice.ToString(), ["p_session_id"] = session.Id.ToString(), ["p_message_id"] = Guid.NewGuid().ToString() }),
        })
        {
            await Assert.ThrowsAsync<PostgrestException>(() => malloryTab.Rest.RpcAsync(function, args));
        }

        // Alice's own tab may not claim either.
        await Assert.ThrowsAsync<PostgrestException>(() => aliceTab.Rest.RpcAsync("ai_chat_claim_replies", new JsonObject { ["p_worker"] = "alice", ["p_lease_ms"] = 60000 }));

        Assert.Equal(before.StopRequested, (await RequestStateAsync(reply.Id)).StopRequested);
        Assert.Equal(before.ClaimedBy, (await RequestStateAsync(reply.Id)).ClaimedBy);
        var expected = model.Reply("private question", 1);
        await Eventually.TrueAsync(
            () => aliceTab.Store.GetSessionById(session.Id)?.Messages.SingleOrDefault(m => m.Id == reply.Id) is { Status: MessageStatus.Complete } m && m.Content == expected,
            "Alice's reply ends complete, untouched", TimeSpan.FromSeconds(30));
        Assert.Equal(1, model.Generations["private question"]);
        Assert.Equal(2, aliceTab.Store.GetSessionById(session.Id)!.Messages.Count);
        Assert.Equal(1L, await RealtimeTestData.ScalarAsync<long>(fixture.Stack, "select count(*) from public.ai_chat_reply_requests where session_id = $1", session.Id));
        Assert.DoesNotContain(malloryTab.Store.Current.Sessions, s => s.Id == session.Id);
    }

    private static async Task RefusedOrNoRowsAsync<T>(Func<Task<IReadOnlyList<T>>> attempt)
    {
        try
        {
            Assert.Empty(await attempt());
        }
        catch (PostgrestException)
        {
            // refused outright
        }
    }

    private async Task<(bool StopRequested, string ClaimedBy)> RequestStateAsync(Guid messageId) => (
        await RealtimeTestData.ScalarAsync<bool>(fixture.Stack, "select stop_requested from public.ai_chat_reply_requests where message_id = $1", messageId),
        await RealtimeTestData.ScalarAsync<string>(fixture.Stack, "select claimed_by from public.ai_chat_reply_requests where message_id = $1", messageId));
}
