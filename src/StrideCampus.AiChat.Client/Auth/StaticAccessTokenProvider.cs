using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>An <see cref="IAccessTokenProvider"/> holding a token that the app sets.</summary>
public sealed class StaticAccessTokenProvider : IAccessTokenProvider
{
    private readonly BehaviorSubject<string?> _token;

    /// <summary>Creates the provider with an initial token (or <see langword="null"/> for anonymous).</summary>
    /// <param name="token">The initial access token.</param>
    public StaticAccessTokenProvider(string? token) => _token = new BehaviorSubject<string?>(token);

    /// <inheritdoc />
    public IObservable<string?> AccessTokenChanged => _token.Skip(1).DistinctUntilChanged();

    /// <inheritdoc />
    public ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_token.Value);

    /// <summary>Replaces the token and notifies <see cref="AccessTokenChanged"/> subscribers.</summary>
    /// <param name="token">The new access token.</param>
    public void SetToken(string? token) => _token.OnNext(token);
}
