using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.IntegrationTests.Infrastructure;

/// <summary>Keeps log lines in memory so a failing test can show what the client saw.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public override string ToString() => string.Join(Environment.NewLine, Lines);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {eventId.Id} {logLevel} {formatter(state, exception)}");
    }
}
