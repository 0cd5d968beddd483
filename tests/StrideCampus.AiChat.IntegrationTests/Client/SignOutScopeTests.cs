using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;

namespace StrideCampus.AiChat.IntegrationTests.Client;

/// <summary>
/// <see cref="SupabaseAuthClient.SignOutAsync(SignOutScope, CancellationToken)"/> against LocalStack's GoTrue, which
/// honours <c>POST /auth/v1/logout?scope=</c> as supabase/auth <c>internal/api/logout.go</c> does: one user signed in
/// on two devices, and a second user who must never be signed out by the first.
/// </summary>
[Collection(LocalStackCollection.Name)]
public sealed class SignOutScopeTests(LocalStackFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        _http.Dispose();
    }

    [Fact]
    public async Task Default_sign_out_is_global_it_ends_the_users_other_device_but_not_another_user()
    {
        var (phone, laptop, other) = await TwoDevicesAndAnotherUserAsync();

        await phone.SignOutAsync();

        Assert.Null(phone.CurrentSession);
        await AssertRevokedAsync(laptop);
        await AssertAliveAsync(other);
    }

    [Fact]
    public async Task Local_sign_out_ends_only_this_device()
    {
        var (phone, laptop, other) = await TwoDevicesAndAnotherUserAsync();

        await phone.SignOutAsync(SignOutScope.Local);

        Assert.Null(phone.CurrentSession);
        await AssertAliveAsync(laptop);
        await AssertAliveAsync(other);
    }

    [Fact]
    public async Task Others_sign_out_ends_the_other_devices_and_keeps_this_one()
    {
        var (phone, laptop, other) = await TwoDevicesAndAnotherUserAsync();

        await phone.SignOutAsync(SignOutScope.Others);

        await AssertAliveAsync(phone);
        await AssertRevokedAsync(laptop);
        await AssertAliveAsync(other);
    }

    private async Task<(SupabaseAuthClient Phone, SupabaseAuthClient Laptop, SupabaseAuthClient Other)> TwoDevicesAndAnotherUserAsync()
    {
        var email = StackHttp.NewEmail("devices");
        const string password = "correct-horse-battery";
        var phone = NewClient();
        await phone.SignUpAsync(email, password);
        var laptop = NewClient();
        await laptop.SignInWithPasswordAsync(email, password);
        var other = NewClient();
        await other.SignUpAsync(StackHttp.NewEmail("bystander"), password);
        return (phone, laptop, other);
    }

    private SupabaseAuthClient NewClient()
    {
        var client = new SupabaseAuthClient(_http, new SupabaseAuthOptions { Url = fixture.Stack.ApiUrl, ApiKey = fixture.Stack.AnonKey, AutoRefresh = false });
        _owned.Add(client);
        return client;
    }

    private static async Task AssertAliveAsync(SupabaseAuthClient device)
    {
        var before = device.CurrentSession!;
        var refreshed = await device.RefreshSessionAsync();
        Assert.Equal(before.User.Id, refreshed.User.Id);
        Assert.Equal(before.User.Id, (await device.GetUserAsync()).Id);
    }

    private static async Task AssertRevokedAsync(SupabaseAuthClient device)
    {
        var ex = await Assert.ThrowsAsync<AuthException>(() => device.RefreshSessionAsync());
        Assert.Equal(400, ex.Status);
        Assert.Null(device.CurrentSession);
    }
}
