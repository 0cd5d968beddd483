using System.Reactive.Linq;
using StrideCampus.AiChat.Client.Auth;

namespace StrideCampus.AiChat.Testing;

/// <summary>A refreshable provider whose refresh returns the next token of a factory.</summary>
public sealed class RefreshingTokenProvider(string initial, Func<string> refresh) : IRefreshableAccessTokenProvider
{
    private string _token = initial;

    public int Refreshes { get; private set; }

    public IObservable<string?> AccessTokenChanged => Observable.Never<string?>();

    public ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult<string?>(_token);

    public ValueTask<string?> RefreshAccessTokenAsync(string? rejectedToken, CancellationToken cancellationToken = default)
    {
        if (rejectedToken == _token)
        {
            _token = refresh();
            Refreshes++;
        }

        return ValueTask.FromResult<string?>(_token);
    }
}
