namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A push awaiting its <c>phx_reply</c>. Completed exactly once — by the reply, the timeout or a cancel — and removed
/// from the client's table at that moment, so nothing piles up per push.
/// </summary>
internal sealed class PendingReply
{
    private readonly TaskCompletionSource<PushReply> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<PushReply>? _callback;
    private ITimer? _timer;

    public PendingReply(string @ref, string? joinRef, string topic, Action<PushReply>? callback)
    {
        Ref = @ref;
        JoinRef = joinRef;
        Topic = topic;
        _callback = callback;
    }

    public string Ref { get; }

    public string? JoinRef { get; }

    public string Topic { get; }

    public Task<PushReply> Task => _completion.Task;

    public void SetTimer(ITimer timer) => _timer = timer;

    /// <summary>Runs the callback (synchronously, so a join reply is applied before the next frame) and completes the task.</summary>
    public void Complete(PushReply reply)
    {
        Interlocked.Exchange(ref _timer, null)?.Dispose();
        try
        {
            _callback?.Invoke(reply);
        }
        finally
        {
            _completion.TrySetResult(reply);
        }
    }
}
