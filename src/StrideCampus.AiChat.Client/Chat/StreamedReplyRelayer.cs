namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// Relays a growing reply's text on an <see cref="IStreamRelay"/> at a bounded rate. Each delta carries everything
/// since the length the database last confirmed, so a delta another client missed (or a client that joined
/// mid-reply) is repaired by the next one. Used by the client that streams a reply and by the server-side worker.
/// </summary>
internal sealed class StreamedReplyRelayer
{
    private readonly IStreamRelay? _relay;
    private readonly Guid _messageId;
    private readonly Guid _sessionId;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly RelayQuotaBackoff? _quota;
    private long _lastRelay = long.MinValue;
    private int _relayedTo;
    private int _confirmed;

    public StreamedReplyRelayer(IStreamRelay? relay, Guid messageId, Guid sessionId, TimeSpan interval, TimeProvider time, RelayQuotaBackoff? quota = null)
    {
        _quota = quota;
        _relay = relay;
        _messageId = messageId;
        _sessionId = sessionId;
        _interval = interval;
        _time = time;
    }

    /// <summary>Records the length of the content the database confirmed (any thread).</summary>
    public void Confirmed(int length) => Volatile.Write(ref _confirmed, length);

    /// <summary>Relays the latest content if the rate allows (the streaming thread only).</summary>
    public void Grew(string content)
    {
        // Over the project's quota the store relays less, then not at all (see RelayQuotaBackoff).
        if (_relay is not null && Interval() is { } interval && (_lastRelay == long.MinValue || _time.GetElapsedTime(_lastRelay) >= interval))
        {
            _lastRelay = _time.GetTimestamp();
            _relayedTo = RelaySinceConfirmed(content);
        }
    }

    /// <summary>Relays the tail the rate limit held back, if any.</summary>
    public void Flush(string final)
    {
        if (_relay is not null && _relayedTo < final.Length && Interval() is not null)
        {
            RelaySinceConfirmed(final);
        }
    }

    private TimeSpan? Interval() => _quota is null ? _interval : _quota.RelayInterval(_interval);

    /// <summary>Relays the text since the last confirmed write; returns how far the text has then been relayed.</summary>
    private int RelaySinceConfirmed(string content)
    {
        var from = Math.Min(Volatile.Read(ref _confirmed), content.Length);
        var end = content.Length;
        if (end > from && char.IsHighSurrogate(content[end - 1]))
        {
            end--; // never split a surrogate pair: its low half comes with the next token
        }

        if (end > from)
        {
            _relay!.Publish(new StreamDelta(_messageId, _sessionId, from, content[from..end]));
        }

        return end;
    }
}
