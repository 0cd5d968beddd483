using StrideCampus.AiChat.Client.Auth;

namespace StrideCampus.AiChat.Client.Tests.Auth;

public sealed class StaticAccessTokenProviderTests
{
    [Fact]
    public async Task Returns_the_token_and_emits_changes_replaying_the_current_one()
    {
        var provider = new StaticAccessTokenProvider("t1");
        var seen = new List<string?>();
        using var sub = provider.AccessTokenChanged.Subscribe(seen.Add);
        Assert.Equal("t1", await provider.GetAccessTokenAsync());
        provider.SetToken("t2");
        provider.SetToken("t2");
        provider.SetToken(null);
        Assert.Null(await provider.GetAccessTokenAsync());
        Assert.Equal(["t1", "t2", null], seen);
    }
}
