using System.Text;
using StrideCampus.AiChat.Client.Auth;

namespace StrideCampus.AiChat.Client.Tests.Auth;

public class TokenUserTests
{
    private static string UserToken(Guid user)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{B64("{\"alg\":\"HS256\"}")}.{B64($"{{\"role\":\"authenticated\",\"sub\":\"{user}\",\"exp\":4102444800}}")}.sig";
    }

    [Fact]
    public async Task The_user_is_the_tokens_and_a_contradicting_id_is_refused()
    {
        var user = Guid.NewGuid();
        var tokens = new StaticAccessTokenProvider(UserToken(user));
        Assert.Equal(user, await TokenUser.ResolveAsync(tokens, null, "userId", default));
        Assert.Equal(user, await TokenUser.ResolveAsync(tokens, user, "userId", default));
        var other = Guid.NewGuid();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => TokenUser.ResolveAsync(tokens, other, "userId", default));
        Assert.Equal("userId", ex.ParamName);
        Assert.Contains(other.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("sub", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => TokenUser.ResolveAsync(tokens, Guid.Empty, "userId", default));
    }

    [Fact]
    public async Task Without_a_user_token_the_given_id_is_used_and_none_is_an_error()
    {
        var user = Guid.NewGuid();
        Assert.Equal(user, await TokenUser.ResolveAsync(null, user, "userId", default));
        Assert.Equal(user, await TokenUser.ResolveAsync(new StaticAccessTokenProvider(null), user, "userId", default));
        await Assert.ThrowsAsync<InvalidOperationException>(() => TokenUser.ResolveAsync(new StaticAccessTokenProvider(null), null, "userId", default));
    }
}
