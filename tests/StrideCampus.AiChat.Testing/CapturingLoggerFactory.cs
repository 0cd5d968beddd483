using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Testing;

/// <summary>One log entry a test captured.</summary>
public sealed record LogEntry(DateTime Time, EventId Id, LogLevel Level, string Message)
{
    public override string ToString() => $"{Time:HH:mm:ss.fff} {Id.Id} {Level} {Message}";
}

/// <summary>Keeps log entries in memory: to assert what was logged (and that no secret was), or to show a failing test's story.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public IEnumerable<string> Lines => Entries.Select(e => e.ToString());

    public bool Has(int eventId) => Entries.Any(e => e.Id.Id == eventId);

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
            owner.Entries.Enqueue(new LogEntry(DateTime.UtcNow, eventId, logLevel, formatter(state, exception)));
    }
}
