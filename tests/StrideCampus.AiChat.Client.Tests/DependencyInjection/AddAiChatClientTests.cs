using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.DependencyInjection;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Client.Tests.DependencyInjection;

public sealed class AddAiChatClientTests
{
    private static readonly Uri ProjectUrl = new("https://project.example.test");

    [Fact]
    public async Task Registers_every_client_as_a_singleton_with_the_auth_client_as_token_provider()
    {
        await using var sp = new ServiceCollection()
            .AddAiChatClient(o => { o.Url = ProjectUrl; o.AnonKey = "anon"; })
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var auth = sp.GetRequiredService<SupabaseAuthClient>();
        Assert.Same(auth, sp.GetRequiredService<IAccessTokenProvider>());
        Assert.Same(sp.GetRequiredService<PostgrestClient>(), sp.GetRequiredService<PostgrestClient>());
        Assert.Same(sp.GetRequiredService<RealtimeClient>(), sp.GetRequiredService<RealtimeClient>());
        Assert.NotNull(sp.GetRequiredService<IAiChatFactory>());
    }

    [Fact]
    public async Task An_app_token_provider_registered_first_is_kept()
    {
        var mine = new StaticAccessTokenProvider("token");
        await using var sp = new ServiceCollection()
            .AddSingleton<IAccessTokenProvider>(mine)
            .AddAiChatClient(o => { o.Url = ProjectUrl; o.AnonKey = "anon"; })
            .BuildServiceProvider();
        Assert.Same(mine, sp.GetRequiredService<IAccessTokenProvider>());
    }

    [Fact]
    public async Task Missing_url_and_key_fail_validation_naming_the_settings()
    {
        await using var sp = new ServiceCollection().AddAiChatClient(_ => { }).BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<PostgrestClient>());
        Assert.Contains("AiChat:Url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AiChat:AnonKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_http_url_and_negative_retries_are_refused()
    {
        await using var sp = new ServiceCollection()
            .AddAiChatClient(o => { o.Url = new Uri("ftp://x.example.test"); o.AnonKey = "k"; o.RestMaxRetries = -1; })
            .BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<AiChatClientOptions>>().Value);
        Assert.Contains("http(s)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RestMaxRetries", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_bind_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AiChat:Url"] = "https://project.example.test",
            ["AiChat:AnonKey"] = "anon-key",
            ["AiChat:HeartbeatInterval"] = "00:00:05",
            ["AiChat:RealtimeSerializer"] = "V1",
            ["AiChat:Store:DefaultSessionTitle"] = "Untitled",
            ["AiChat:Store:RelayStreamedTokens"] = "false",
            ["AiChat:Store:MaxStreamRelaysPerSecond"] = "3",
            ["AiChat:Store:CacheExpiry"] = "00:02:00",
            ["AiChat:RestMaxRetries"] = "1",
            ["AiChat:Store:MaxCachedSessions"] = "7",
            ["AiChat:Store:MaxStreamWritesPerSecond"] = "4.5",
        }).Build();
        await using var sp = new ServiceCollection().AddAiChatClient(config.GetSection("AiChat")).BuildServiceProvider();
        var o = sp.GetRequiredService<IOptions<AiChatClientOptions>>().Value;
        Assert.Equal(ProjectUrl, o.Url);
        Assert.Equal("anon-key", o.AnonKey);
        Assert.Equal(TimeSpan.FromSeconds(5), o.HeartbeatInterval);
        Assert.Equal(RealtimeSerializerVersion.V1, o.RealtimeSerializer);
        Assert.Equal(1, o.RestMaxRetries);
        Assert.Equal(7, o.Store.MaxCachedSessions);
        Assert.Equal(4.5, o.Store.MaxStreamWritesPerSecond);
        Assert.Equal("Untitled", o.Store.DefaultSessionTitle);
        Assert.False(o.Store.RelayStreamedTokens);
        Assert.Equal(3, o.Store.MaxStreamRelaysPerSecond);
        Assert.Equal(TimeSpan.FromMinutes(2), o.Store.CacheExpiry);
        // Objects an app sets in code keep their defaults.
        Assert.Same(TimeProvider.System, o.Store.TimeProvider);
    }

    [Theory]
    [InlineData("AiChat:HeartbeatInterval", "soon")]
    [InlineData("AiChat:RestMaxRetries", "many")]
    [InlineData("AiChat:RealtimeSerializer", "3.0.0")]
    [InlineData("AiChat:Store:MaxCachedSessions", "lots")]
    public async Task A_malformed_setting_names_its_key(string key, string value)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AiChat:Url"] = "https://project.example.test",
            ["AiChat:AnonKey"] = "anon-key",
            [key] = value,
        }).Build();
        await using var sp = new ServiceCollection().AddAiChatClient(config.GetSection("AiChat")).BuildServiceProvider();
        var ex = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<IOptions<AiChatClientOptions>>().Value);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_relative_url_from_configuration_fails_validation_naming_the_key()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AiChat:Url"] = "not a url",
            ["AiChat:AnonKey"] = "anon-key",
        }).Build();
        await using var sp = new ServiceCollection().AddAiChatClient(config.GetSection("AiChat")).BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<AiChatClientOptions>>().Value);
        Assert.Contains("AiChat:Url", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Factory_without_a_signed_in_user_says_so_before_any_request()
    {
        await using var sp = new ServiceCollection()
            .AddSingleton<IAccessTokenProvider>(new StaticAccessTokenProvider(null))
            .AddAiChatClient(o => { o.Url = ProjectUrl; o.AnonKey = "anon"; })
            .BuildServiceProvider();
        var factory = sp.GetRequiredService<IAiChatFactory>();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => factory.CreateMessageStoreAsync());
        Assert.Contains("signed in", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => factory.CreateRealtimeAIChatsAsync(Guid.Empty));
    }

    [Fact]
    public async Task A_user_id_the_token_contradicts_is_refused_before_any_request()
    {
        var user = Guid.NewGuid();
        var tokens = new StaticAccessTokenProvider(UserToken(user));
        await using var sp = new ServiceCollection()
            .AddSingleton<IAccessTokenProvider>(tokens)
            .AddAiChatClient(o => { o.Url = ProjectUrl; o.AnonKey = "anon"; })
            .BuildServiceProvider();
        var factory = sp.GetRequiredService<IAiChatFactory>();
        var someoneElse = Guid.NewGuid();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => factory.CreateMessageStoreAsync(someoneElse));
        Assert.Contains("sub", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => factory.CreateRealtimeAIChatsAsync(someoneElse));
        var rest = sp.GetRequiredService<PostgrestClient>();
        var realtime = sp.GetRequiredService<RealtimeClient>();
        await Assert.ThrowsAsync<ArgumentException>(() => MessageStore.CreateAsync(rest, realtime, someoneElse));
        await Assert.ThrowsAsync<ArgumentException>(() => RealtimeAIChats.CreateAsync(realtime, rest, someoneElse));
        Assert.Equal(ConnectionState.Disconnected, realtime.State); // refused before the socket was opened
    }

    [Fact]
    public async Task Connect_gives_a_user_clients_of_their_own_that_use_the_given_tokens()
    {
        await using var sp = new ServiceCollection()
            .AddAiChatClient(o => { o.Url = ProjectUrl; o.AnonKey = "anon"; })
            .BuildServiceProvider();
        var factory = sp.GetRequiredService<IAiChatFactory>();
        await using var auth = factory.CreateAuthClient();
        Assert.NotSame(sp.GetRequiredService<SupabaseAuthClient>(), auth);
        Assert.NotSame(auth, factory.CreateAuthClient());
        Assert.Null(auth.CurrentSession);

        // The container's user is signed in; the connection's provider has no user: the connection must say so.
        var signedIn = new StaticAccessTokenProvider(UserToken(Guid.NewGuid()));
        var none = new StaticAccessTokenProvider(null);
        await using var connection = factory.Connect(none);
        Assert.NotSame(sp.GetRequiredService<RealtimeClient>(), connection.Realtime);
        Assert.NotSame(sp.GetRequiredService<PostgrestClient>(), connection.Rest);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => connection.CreateMessageStoreAsync());
        Assert.Contains("signed in", ex.Message, StringComparison.Ordinal);
        await using var other = connection.Connect(signedIn);
        Assert.NotSame(connection.Realtime, other.Realtime);
        Assert.Throws<ArgumentNullException>(() => factory.Connect(null!));
    }

    private static string UserToken(Guid user)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{B64("{\"alg\":\"HS256\"}")}.{B64($"{{\"role\":\"authenticated\",\"sub\":\"{user}\",\"exp\":4102444800}}")}.sig";
    }

    [Fact]
    public void Jwt_subject_is_read_from_the_payload_and_garbage_gives_null()
    {
        var id = Guid.NewGuid();
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = $"{B64("{\"alg\":\"HS256\"}")}.{B64($"{{\"role\":\"authenticated\",\"sub\":\"{id}\",\"exp\":1}}")}.sig";
        Assert.Equal(id, JwtSubject.TryRead(token));
        Assert.Null(JwtSubject.TryRead(null));
        Assert.Null(JwtSubject.TryRead("a.b"));
        Assert.Null(JwtSubject.TryRead("a.!!!.c"));
        Assert.Null(JwtSubject.TryRead($"x.{B64("{\"sub\":42}")}.y"));
        Assert.Null(JwtSubject.TryRead($"x.{B64("[1,2]")}.y"));
    }
}
