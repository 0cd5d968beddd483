using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Writes a growing assistant reply to the database at a bounded rate: at most one write in flight,
/// write starts at least <c>interval</c> apart, each write carrying the latest full content. The first
/// write inserts the row (status <c>streaming</c>), or, for a row that already exists (a reply a server generates
/// into the message a client requested), updates it to <c>streaming</c>; the last one sets the final content and status.
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

    private readonly bool _rowExists;
    private volatile bool _abandoned;
    private readonly Task<ChatMessage?> _pump;
    private string _content;
    private bool _final;
    private MessageStatus _finalStatus;
    private long _version;
    private int _writes;

    /// <summary>Starts the writer's pump.</summary>
    /// <param name="data">Where the row is written.</param>
    /// <param name="template">The message (id, session, owner, flags) every write is made of.</param>
    /// <param name="interval">The least time between two write starts.</param>
    /// <param name="time">The clock.</param>
    /// <param name="onConfirmed">Called with each row the database returns.</param>
    /// <param name="logger">Logging.</param>
    /// <param name="rowExists">The row exists already: every write is an update, never an insert (an upsert would bring
    /// back a row deleted meanwhile).</param>
    public StreamedReplyWriter(
        IChatDataSource data, ChatMessage template, TimeSpan interval, TimeProvider time, Action<ChatMessage> onConfirmed, ILogger logger,
        bool rowExists = false)
    {
        _data = data;
        _template = template;
        _interval = interval;
        _time = time;
        _onConfirmed = onConfirmed;
        _logger = logger;
        _content = template.Content;
        _version = 1;
        _rowExists = rowExists;
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

    /// <summary>
    /// Ends the writes without a final one (the reply passed to another writer); a write in flight still completes.
    /// </summary>
    public Task<ChatMessage?> AbandonAsync()
    {
        _abandoned = true;
        _signal.Writer.TryComplete();
        return _pump;
    }

    private async Task<ChatMessage?> PumpAsync()
    {
        var inserted = _rowExists;
        var statusWritten = false;
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

                if (_abandoned)
                {
                    return last;
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

                if (_abandoned)
                {
                    return last;
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
                    var row = await WriteAsync(inserted, content, status, final || !statusWritten).ConfigureAwait(false);
                    inserted = true;
                    statusWritten = true;
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

    private async Task<ChatMessage?> WriteAsync(bool inserted, string content, MessageStatus status, bool writeStatus)
    {
        var final = status != MessageStatus.Streaming;
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
                if (writeStatus)
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
