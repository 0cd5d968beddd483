using System.Threading.Channels;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// The frames queued for one socket, bounded in bytes: a client that stops reading is dropped once what waits for it
/// passes the bound, instead of growing LocalStack's memory without end. One writer loop reads it.
/// </summary>
internal sealed class OutboundQueue(long maxBytes)
{
    private readonly Channel<OutboundFrame> _frames = Channel.CreateUnbounded<OutboundFrame>(new UnboundedChannelOptions { SingleReader = true });
    private long _queuedBytes;
    private int _overflowed;

    /// <summary>Raised once, on the thread that queued the frame past the bound.</summary>
    public event Action? Overflowed;

    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    public ChannelReader<OutboundFrame> Reader => _frames.Reader;

    /// <summary>Queues a frame; false when the queue is complete or over its bound (the frame is then dropped).</summary>
    public bool TryWrite(OutboundFrame frame)
    {
        if (Volatile.Read(ref _overflowed) != 0)
        {
            return false;
        }

        // Close frames always pass: they end the socket.
        if (frame.CloseStatus is null && Interlocked.Add(ref _queuedBytes, frame.Data.Length) > maxBytes)
        {
            Interlocked.Add(ref _queuedBytes, -frame.Data.Length);
            if (Interlocked.Exchange(ref _overflowed, 1) == 0)
            {
                _frames.Writer.TryComplete();
                Overflowed?.Invoke();
            }

            return false;
        }

        if (!_frames.Writer.TryWrite(frame))
        {
            Interlocked.Add(ref _queuedBytes, -frame.Data.Length);
            return false;
        }

        return true;
    }

    /// <summary>Called by the writer once a frame has left (or was given up).</summary>
    public void Sent(in OutboundFrame frame)
    {
        if (frame.CloseStatus is null)
        {
            Interlocked.Add(ref _queuedBytes, -frame.Data.Length);
        }
    }

    public void Complete() => _frames.Writer.TryComplete();
}
