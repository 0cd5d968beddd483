using StrideCampus.AiChat.Client.Auth;
using StrideCampus.AiChat.Client.Tests.Http;

namespace StrideCampus.AiChat.Client.Tests.Auth;

/// <summary>
/// Sessions are published with no lock held while subscribers run (issue 15): a subscriber that signs out from its
/// callback, or waits for another thread that does, neither deadlocks nor makes another subscriber see them out of order.
/// </summary>
public sealed class SessionPublicationTests : IAsyncDisposable
{
    private static readonly AuthSession First = new("access-1", "refresh-1", DateTimeOffset.UtcNow.AddHours(1), new AuthUser(Guid.NewGuid(), "a@example.com"));

    private readonly ScriptedHttpHandler _handler = new();
    private readonly HttpClient _http;
    private readonly SupabaseAuthClient _client;

    public SessionPublicationTests()
    {
        _http = new HttpClient(_handler);
        _client = new SupabaseAuthClient(_http, new SupabaseAuthOptions
        {
            Url = new Uri("http://localhost:54321/"),
            ApiKey = "anon-key",
            AutoRefresh = false,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        _http.Dispose();
        _handler.Dispose();
    }

    [Fact]
    public void A_sign_out_from_a_subscriber_reaches_every_subscriber_after_the_sign_in()
    {
        using var first = _client.SessionChanged.Subscribe(s =>
        {
            if (ReferenceEquals(s, First))
            {
                _client.SetSession(null);
            }
        });
        var seen = new List<AuthSession?>();
        using var second = _client.SessionChanged.Subscribe(seen.Add);

        _client.SetSession(First);

        Assert.Equal([null, First, null], seen);
        Assert.Null(_client.CurrentSession);
    }

    [Fact]
    public void A_subscriber_waiting_on_another_thread_that_signs_out_does_not_deadlock()
    {
        var otherThreadFinished = false;
        using var first = _client.SessionChanged.Subscribe(s =>
        {
            if (ReferenceEquals(s, First))
            {
                otherThreadFinished = Task.Run(() => _client.SetSession(null)).Wait(TimeSpan.FromSeconds(10));
            }
        });
        var seen = new List<AuthSession?>();
        using var second = _client.SessionChanged.Subscribe(seen.Add);

        _client.SetSession(First);

        Assert.True(otherThreadFinished, "the other thread's sign-out returned while the subscriber waited");
        Assert.Equal([null, First, null], seen);
    }

    [Fact]
    public async Task Dispose_completes_the_stream_once()
    {
        var completions = 0;
        using var subscription = _client.SessionChanged.Subscribe(_ => { }, () => Interlocked.Increment(ref completions));
        _client.SetSession(First);

        await _client.DisposeAsync();
        await _client.DisposeAsync();

        Assert.Equal(1, completions);
    }
}
