using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>
/// Wraps the host's logger factory so no secret carried in a URL (<c>apikey</c>, <c>access_token</c>,
/// <c>token</c>, <c>refresh_token</c> query parameters, as Realtime's websocket URL has) reaches a log:
/// ASP.NET Core's request logging writes the full query string, in the message and as a value.
/// </summary>
internal sealed partial class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>The factory is the caller's: disposing the host does not dispose it.</summary>
    public void Dispose()
    {
    }

    /// <summary>Replaces the values of secret-bearing query parameters with <c>[redacted]</c>.</summary>
    public static string Redact(string text) =>
        text.Contains('=', StringComparison.Ordinal) ? SecretParameter().Replace(text, "$1[redacted]") : text;

    [GeneratedRegex("((?:^|[?&;\\s])(?:apikey|access_token|refresh_token|token)=)[^&;\\s\\]]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretParameter();

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                var redacted = new List<KeyValuePair<string, object?>>(values.Count);
                foreach (var pair in values)
                {
                    redacted.Add(pair.Value is string s && pair.Key != "{OriginalFormat}" ? new(pair.Key, Redact(s)) : pair);
                }
                var message = Redact(formatter(state, exception));
                inner.Log(logLevel, eventId, redacted, exception, (_, _) => message);
                return;
            }
            inner.Log(logLevel, eventId, state, exception, (s, e) => Redact(formatter(s, e)));
        }
    }
}
