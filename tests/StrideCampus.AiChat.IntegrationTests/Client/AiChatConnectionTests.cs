using Microsoft.Extensions.DependencyInjection;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.IntegrationTests.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Client;

/// <summary>Several users, and several connections of one user, from one service container (issue 17).</summary>
[Collection(LocalStackCollection.Name)]
public sealed class AiChatConnectionTests(LocalStackFixture fixture)
{
    [Fact]
    public async Task One_container_serves_two_users_and_a_second_connection_of_one_each_seeing_only_their_own_chats()
    {
        await using var services = new ServiceCollection()
            .AddAiChatClient(o => { o.Url = fixture.Stack.ApiUrl; o.AnonKey = fixture.Stack.AnonKey; })
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var factory = services.GetRequiredService<IAiChatFactory>();
        var password = "connection-test-password";
        var emailA = $"conn-a-{Guid.NewGuid():N}@example.test";

        await using var authA = factory.CreateAuthClient();
        await using var authA2 = factory.CreateAuthClient();
        await using var authB = factory.CreateAuthClient();
        Assert.NotSame(authA, services.GetRequiredService<SupabaseAuthClient>());
        var userA = (await authA.SignUpAsync(emailA, password)).User.Id;
        await authA2.SignInWithPasswordAsync(emailA, password);
        var userB = (await authB.SignUpAsync($"conn-b-{Guid.NewGuid():N}@example.test", password)).User.Id;

        await using var a = factory.Connect(authA);
        await using var a2 = factory.Connect(authA2);
        await using var b = factory.Connect(authB);
        Assert.NotSame(a.Realtime, a2.Realtime); // each connection has its own socket
        await using var storeA = await a.CreateMessageStoreAsync();
        await using var storeA2 = await a2.CreateMessageStoreAsync();
        await using var storeB = await b.CreateMessageStoreAsync();
        Assert.Equal(userA, storeA.UserId);
        Assert.Equal(userA, storeA2.UserId);
        Assert.Equal(userB, storeB.UserId);

        var chatA = await storeA.CreateSessionAsync("A's chat");
        var hello = await storeA.AddMessageAsync(chatA.Id, "hello from A");
        var chatB = await storeB.CreateSessionAsync("B's chat");
        await storeB.AddMessageAsync(chatB.Id, "hello from B");

        // A's second connection follows A live; neither user ever holds the other's rows.
        await Eventually.TrueAsync(() => storeA2.GetSessionById(chatA.Id)?.Messages.Any(m => m.Id == hello.Id) == true, "A's second connection shows A's message");
        await storeA2.RefreshAsync();
        await storeB.RefreshAsync();
        Assert.Null(storeA.GetSessionById(chatB.Id));
        Assert.Null(storeA2.GetSessionById(chatB.Id));
        Assert.Equal([chatB.Id], storeB.GetSessions().Select(s => s.Id));
        Assert.Equal([chatA.Id], storeA2.GetSessions().Select(s => s.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => storeB.AddMessageAsync(chatA.Id, "into A's chat"));
    }

    [Fact]
    public async Task Connect_refuses_a_null_token_provider()
    {
        await using var services = new ServiceCollection()
            .AddAiChatClient(o => { o.Url = fixture.Stack.ApiUrl; o.AnonKey = fixture.Stack.AnonKey; })
            .BuildServiceProvider();
        Assert.Throws<ArgumentNullException>(() => services.GetRequiredService<IAiChatFactory>().Connect(null!));
    }
}
