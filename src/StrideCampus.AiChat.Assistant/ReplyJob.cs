using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;
using ChatMessage = StrideCampus.AiChat.Client.Chat.ChatMessage;

namespace StrideCampus.AiChat.Assistant;

/// <summary>
/// One claimed reply: builds the conversation from the session's history, streams the model's text into the
/// requested assistant message with the clients' coalesced writer and token relay, and ends it complete, error or
/// stopped. A reply this worker lost (taken over, deleted by a regenerate, the worker stopping) is left without a
/// final write.
/// </summary>
internal sealed class ReplyJob
{
    private const int Running = 0;
    private const int StopRequested = 1;
    private const int Lost = 2;

    private readonly ReplyRequest _request;
    private readonly PostgrestClient _rest;
    private readonly RealtimeClient? _realtime;
    private readonly IChatClient _model;
    private readonly AiChatAssistantOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cts;
    private int _end = Running;

    public ReplyJob(
        ReplyRequest request, PostgrestClient rest, RealtimeClient? realtime, IChatClient model, AiChatAssistantOptions options, ILogger logger,
        CancellationToken workerStopping)
    {
        _request = request;
        _rest = rest;
        _realtime = realtime;
        _model = model;
        _options = options;
        _logger = logger;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(workerStopping);
        LastRenewed = options.TimeProvider.GetTimestamp();
    }

    public ReplyRequest Request => _request;

    /// <summary>When the lease was last renewed (a timestamp of the options' clock).</summary>
    public long LastRenewed { get; set; }

    /// <summary>The user asked to stop: the reply ends stopped with what was generated.</summary>
    public void Stop() => End(StopRequested);

    /// <summary>The request is no longer this worker's: end without a final write.</summary>
    public void Lose() => End(Lost);

    public async Task RunAsync(CancellationToken workerStopping)
    {
        try
        {
            await RunCoreAsync(workerStopping).ConfigureAwait(false);
        }
        finally
        {
            _cts.Dispose();
        }
    }

    private async Task RunCoreAsync(CancellationToken workerStopping)
    {
        var data = new PostgrestChatDataSource(_rest, _request.UserId);
        // Read whatever the reply's fate: a stop or loss noticed meanwhile takes effect once the model is asked (at once).
        var messages = await data.LoadMessagesAsync(_request.SessionId, workerStopping).ConfigureAwait(false);
        var ordered = messages.Order(ChatRowComparer.MessageOrder).ToList();
        var index = ordered.FindIndex(m => m.Id == _request.MessageId);
        if (index < 0)
        {
            AssistantLog.ReplyLost(_logger, _request.MessageId, "the message is gone");
            return;
        }

        var target = ordered[index] with { Content = string.Empty, Status = MessageStatus.Streaming };
        var history = MessageStore.BuildHistory(ordered.Take(index));
        var time = _options.TimeProvider;
        IStreamRelay? relay = _realtime is not null && _options.MaxStreamRelaysPerSecond > 0
            ? new RealtimeStreamRelay(_realtime, _request.UserId, _logger)
            : null;
        try
        {
            if (relay is not null)
            {
                // Joined with the service role's JWT: Supabase Realtime checks a private topic by probing realtime.messages
                // under the token's role (supabase/realtime lib/realtime/tenants/authorization.ex, set_conn_config), and
                // service_role bypasses RLS. Deltas flow once joined; until then clients follow the database writes.
                _ = relay.StartAsync(_cts.Token);
            }

            var relayer = new StreamedReplyRelayer(relay, target.Id, target.SessionId, TimeSpan.FromSeconds(1 / Math.Max(_options.MaxStreamRelaysPerSecond, 0.001)), time);
            var writer = new StreamedReplyWriter(
                data, target, TimeSpan.FromSeconds(1 / _options.MaxStreamWritesPerSecond), time, row => relayer.Confirmed(row.Content.Length), _logger,
                rowExists: true);
            writer.Update(string.Empty); // 'streaming' at once: every client sees the reply has started
            var text = new StringBuilder();
            Exception? modelError = null;
            try
            {
                var updates = _model.GetStreamingResponseAsync(history, null, _cts.Token);
                await foreach (var fragment in MessageStore.Fragments(updates, _cts.Token).ConfigureAwait(false))
                {
                    text.Append(fragment);
                    var content = text.ToString();
                    writer.Update(content);
                    relayer.Grew(content);
                }
            }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested)
            {
                // stopped, lost or the worker is stopping: decided below
            }
            catch (Exception ex)
            {
                modelError = ex;
            }

            var end = Volatile.Read(ref _end);
            if (end == Lost || (end == Running && workerStopping.IsCancellationRequested))
            {
                await writer.AbandonAsync().ConfigureAwait(false);
                AssistantLog.ReplyLost(_logger, _request.MessageId, end == Lost ? "another worker holds it, or it was deleted" : "the worker is stopping");
                return;
            }

            var status = end == StopRequested ? MessageStatus.Stopped : modelError is null ? MessageStatus.Complete : MessageStatus.Error;
            if (modelError is not null)
            {
                AssistantLog.ModelFailed(_logger, _request.MessageId, modelError);
            }

            var final = text.ToString();
            relayer.Flush(final);
            ChatMessage? row = await writer.CompleteAsync(final, status).ConfigureAwait(false);
            await _rest.RpcAsync(AssistantWorker.FinishFunction, new() { ["p_worker"] = _options.WorkerId, ["p_id"] = _request.Id.ToString() },
                AssistantJsonContext.Default.Boolean, CancellationToken.None).ConfigureAwait(false);
            AssistantLog.ReplyFinished(_logger, _request.MessageId, row is null ? "deleted" : MessageStatusName(status), final.Length, writer.Writes);
        }
        finally
        {
            if (relay is not null)
            {
                await relay.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static string MessageStatusName(MessageStatus status) => status switch
    {
        MessageStatus.Complete => "complete",
        MessageStatus.Stopped => "stopped",
        _ => "error",
    };

    private void End(int why)
    {
        if (Interlocked.CompareExchange(ref _end, why, Running) == Running)
        {
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // finished meanwhile
            }
        }
    }
}
