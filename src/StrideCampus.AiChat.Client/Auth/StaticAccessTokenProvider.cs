using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace StrideCampus.AiChat.Client.Auth;

/// <summary>
/// An <see cref="IAccessTokenProvider"/> holding a token the app sets itself (for example one issued
/// by its own backend). <see cref="AccessTokenChanged"/> replays the current token to new subscribers.
/// </summary>
public sealed class StaticAccessTokenProvider : IAccessTokenProvider
{
    private readonly BehaviorSubject<string?> _token;

    /// <summary>Creates a provider holding <paramref name="token"/> (<see langword="null"/> for anonymous access).</summary>
    /// <param name="token">The initial access token, or <see langword="null"/>.</param>
    public StaticAccessTokenProvider(string? token) => _token = new BehaviorSubject<string?>(token);

    /// <inheritdoc />
    public IObservable<string?> AccessTokenChanged => _token.DistinctUntilChanged().AsObservable();

    /// <inheritdoc />
    public ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_token.Value);
    }

    /// <summary>Replaces the token; subscribers of <see cref="AccessTokenChanged"/> see the new value.</summary>
    /// <param name="token">The new access token, or <see langword="null"/> for anonymous access.</param>
    public void SetToken(string? token) => _token.OnNext(token);
}
