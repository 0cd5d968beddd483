using StrideCampus.AiChat.Client.Auth;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>The access token: the provider's or the app's (<c>SetAuthAsync</c>), versioned, and forwarded to joined channels.</summary>
internal sealed partial class RealtimeConnector
{
    private string? _accessToken;
    private bool _explicitToken;
    private long _tokenVersion;

    /// <summary>Whether a refused (expired) token can be replaced by asking the provider.</summary>
    /// <summary>The provider of the user's tokens, if any (the chat components read the user from it).</summary>
    public IAccessTokenProvider? Tokens => _tokens;

    public bool CanRefreshToken => _tokens is IRefreshableAccessTokenProvider;

    /// <summary>The last token with its version (which grows with every change), read together.</summary>
    public (string? Token, long Version) CurrentTokenVersion
    {
        get
        {
            lock (_gate)
            {
                return (_accessToken, _tokenVersion);
            }
        }
    }

    /// <summary>Sets the app's token: it wins over the provider's until the provider's next change.</summary>
    public void SetAuth(string? token)
    {
        lock (_gate)
        {
            _explicitToken = true;
        }

        ApplyToken(token);
    }

    /// <summary>The token a join carries: the provider's current (refreshed) token, or the one set with <c>SetAuthAsync</c>.</summary>
    public async ValueTask<string?> GetJoinTokenAsync(string? rejectedToken = null)
    {
        bool ask;
        lock (_gate)
        {
            ask = _tokens is not null && !_explicitToken;
        }

        if (ask)
        {
            try
            {
                // After the server refused a token (expired), a refreshable provider is asked for another one.
                var token = rejectedToken is not null && _tokens is IRefreshableAccessTokenProvider refreshable
                    ? await refreshable.RefreshAccessTokenAsync(rejectedToken).ConfigureAwait(false)
                    : await _tokens!.GetAccessTokenAsync().ConfigureAwait(false);
                lock (_gate)
                {
                    if (!_explicitToken)
                    {
                        SetTokenLocked(token);
                    }
                }
            }
#pragma warning disable CA1031 // The join then carries the last known token.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                RealtimeLog.TokenProviderFailed(_logger, ex);
            }
        }

        lock (_gate)
        {
            return _accessToken;
        }
    }

    private void ApplyToken(string? token)
    {
        long version;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            version = SetTokenLocked(token);
        }

        if (token is null)
        {
            return;
        }

        foreach (var channel in _channels.Values)
        {
            channel.PushAccessToken(token, version);
        }
    }

    /// <summary>
    /// Every token written gets a new version, whoever writes it (a push or a join's refresh), so a channel never
    /// lets an older token follow a newer one.
    /// </summary>
    private long SetTokenLocked(string? token)
    {
        _accessToken = token;
        return ++_tokenVersion;
    }

    private sealed class TokenObserver(RealtimeConnector connector) : IObserver<string?>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error) => RealtimeLog.TokenProviderFailed(connector._logger, error);

        public void OnNext(string? value)
        {
            lock (connector._gate)
            {
                connector._explicitToken = false;
            }

            connector.ApplyToken(value);
        }
    }
}
