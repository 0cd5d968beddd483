using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Writes a growing assistant reply to the database at a bounded rate: at most one write in flight,
/// write starts at least <c>interval</c> apart, each write carrying the latest full content. The first
/// write inserts the row (status <c>streaming</c>); the last one sets the final content and status.
/// </summary>
internal sealed class StreamedReplyWriter
{
    private static readonly TimeSpan[] FinalRetryDelays = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500)];

    private readonly IChatDataSource _data;
    private readonly ChatMessage _template;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Action<ChatMessage> _onConfirmed;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly Task<ChatMessage?> _pump;
    private string _content;
    private bool _final;
    private MessageStatus _finalStatus;
    private long _version;
    private int _writes;

    public StreamedReplyWriter(
        IChatDataSource data, ChatMessage template, TimeSpan interval, TimeProvider time, Action<ChatMessage> onConfirmed, ILogger logger)
    {
        _data = data;
        _template = template;
        _interval = interval;
        _time = time;
        _onConfirmed = onConfirmed;
        _logger = logger;
        _content = template.Content;
        _version = 1;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Database writes made so far.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Whether the row disappeared from the database while streaming (deleted elsewhere).</summary>
    public bool RowGone { get; private set; }

    /// <summary>Records the latest content; a write follows as soon as the rate allows.</summary>
    public void Update(string content)
    {
        lock (_lock)
        {
            _content = content;
            _version++;
        }

        _signal.Writer.TryWrite(true);
    }

    /// <summary>Writes the final content and status (after any write in flight) and returns the row.</summary>
    public Task<ChatMessage?> CompleteAsync(string content, MessageStatus status)
    {
        lock (_lock)
        {
            _content = content;
            _final = true;
            _finalStatus = status;
            _version++;
        }

        _signal.Writer.TryWrite(true);
        return _pump;
    }

    private async Task<ChatMessage?> PumpAsync()
    {
        var inserted = false;
        long written = 0;
        var lastStart = long.MinValue;
        ChatMessage? last = null;
        var intervalTicks = (long)(_interval.TotalSeconds * _time.TimestampFrequency);
        while (await _signal.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _signal.Reader.TryRead(out _);
            while (true)
            {
                bool final;
                long version;
                lock (_lock)
                {
                    final = _final;
                    version = _version;
                }

                if (!final && version == written)
                {
                    break;
                }

                if (lastStart != long.MinValue)
                {
                    var wait = _time.GetElapsedTime(lastStart);
                    if (wait < _interval)
                    {
                        await Task.Delay(_interval - wait, _time).ConfigureAwait(false);
                    }
                }

                string content;
                MessageStatus status;
                lock (_lock)
                {
                    content = _content;
                    final = _final;
                    status = _final ? _finalStatus : MessageStatus.Streaming;
                    version = _version;
                }

                lastStart = _time.GetTimestamp();
                try
                {
                    var row = await WriteAsync(inserted, content, status, final).ConfigureAwait(false);
                    inserted = true;
                    written = version;
                    if (row is null)
                    {
                        RowGone = true;
                    }
                    else
                    {
                        last = row;
                        _onConfirmed(row);
                    }
                }
                catch (Exception ex) when (!final)
                {
                    ChatLog.StreamWriteFailed(_logger, _template.Id, ex);
                    break; // the next token (or the final write) retries with the latest content
                }

                if (final)
                {
                    return RowGone ? null : last;
                }
            }
        }

        return last;
    }

    private async Task<ChatMessage?> WriteAsync(bool inserted, string content, MessageStatus status, bool final)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (inserted && RowGone)
                {
                    return null;
                }

                Interlocked.Increment(ref _writes);
                if (!inserted)
                {
                    return await _data.UpsertMessageAsync(_template with { Content = content, Status = status }, CancellationToken.None)
                        .ConfigureAwait(false);
                }

                var patch = new JsonObject { ["content"] = content };
                if (final)
                {
                    patch["status"] = MessageStatusNames.ToWire(status);
                }

                return await _data.UpdateMessageAsync(_template.Id, patch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception) when (final && attempt < FinalRetryDelays.Length)
            {
                await Task.Delay(FinalRetryDelays[attempt], _time).ConfigureAwait(false);
            }
        }
    }
}
