using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.LocalStack;

[Collection(LocalStackCollection.Name)]
public sealed class HostTests(LocalStackFixture fixture)
{
    [Fact]
    public async Task Stack_serves_http_on_loopback_and_issues_role_keys()
    {
        Assert.Equal("127.0.0.1", fixture.Stack.ApiUrl.Host);
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiUrl };
        var response = await http.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.True(response.IsSuccessStatusCode);

        var anon = await fixture.Stack.Jwt.ValidateAsync(fixture.Stack.AnonKey);
        Assert.True(anon.IsValid);
        Assert.Equal("anon", anon.Role);
        var service = await fixture.Stack.Jwt.ValidateAsync(fixture.Stack.ServiceRoleKey);
        Assert.Equal("service_role", service.Role);
        var forged = await new StrideCampus.AiChat.LocalStack.Auth.JwtService(new string('x', 40)).ValidateAsync(fixture.Stack.AnonKey);
        Assert.False(forged.IsValid);
    }
}
