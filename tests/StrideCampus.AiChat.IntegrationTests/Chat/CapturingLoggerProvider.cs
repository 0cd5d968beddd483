using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>Collects every log event of every category: id, level, and the formatted text with its values.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(int Id, LogLevel Level, string Text)> Events { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(';', pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            owner.Events.Enqueue((eventId.Id, logLevel, $"{formatter(state, exception)} [{values}] {exception}"));
        }
    }
}
