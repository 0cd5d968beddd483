using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Tests.Http;

/// <summary>Collects every log line (message, exception text and structured values) for assertions.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public string AllText => string.Join('\n', Lines);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join(';', pairs.Select(p => $"{p.Key}={p.Value}"))
            : string.Empty;
        lock (_gate)
        {
            _lines.Add($"{logLevel} {eventId.Id} {formatter(state, exception)} [{values}] {exception}");
        }
    }
}
