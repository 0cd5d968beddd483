using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Rest;

namespace StrideCampus.AiChat.Assistant;

/// <summary>
/// The worker's engine: one loop claims requests (<c>ai_chat_claim_replies</c>, SKIP LOCKED, so concurrent workers
/// never get the same one) while it has free slots, and one loop renews the leases of the replies it generates
/// (<c>ai_chat_renew_replies</c>), which also tells it which replies the user stopped and which it lost. Both
/// every <see cref="AiChatAssistantOptions.PollInterval"/>; a finished reply wakes the claim loop at once.
/// </summary>
internal sealed class AssistantWorker
{
    internal const string ClaimFunction = "ai_chat_claim_replies";
    internal const string RenewFunction = "ai_chat_renew_replies";
    internal const string FinishFunction = "ai_chat_finish_reply";

    private readonly PostgrestClient _rest;
    private readonly RealtimeClient? _realtime;
    private readonly IChatClient _model;
    private readonly AiChatAssistantOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Guid, ReplyJob> _jobs = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public AssistantWorker(PostgrestClient rest, RealtimeClient? realtime, IChatClient model, AiChatAssistantOptions options, ILogger logger)
    {
        _rest = rest;
        _realtime = realtime;
        _model = model;
        _options = options;
        _logger = logger;
    }

    /// <summary>Replies being generated now.</summary>
    public int Active => _jobs.Count;

    /// <summary>Claims and generates until <paramref name="cancellationToken"/> is cancelled; then leaves unfinished
    /// replies to other workers (their leases run out) and returns once every reply task ended.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        AssistantLog.WorkerStarted(_logger, _options.WorkerId, _options.LeaseDuration, _options.PollInterval, _options.MaxConcurrentReplies);
        var renew = RenewLoopAsync(cancellationToken);
        try
        {
            await ClaimLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        var open = _jobs.Count;
        await renew.ConfigureAwait(false);
        await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        AssistantLog.WorkerStopped(_logger, _options.WorkerId, open);
    }

    private async Task ClaimLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var free = _options.MaxConcurrentReplies - _jobs.Count;
            var claimed = 0;
            if (free > 0)
            {
                var requests = await CallAsync(ClaimFunction, new JsonObject
                {
                    ["p_worker"] = _options.WorkerId,
                    ["p_lease_ms"] = (int)_options.LeaseDuration.TotalMilliseconds,
                    ["p_limit"] = free,
                    ["p_max_attempts"] = _options.MaxAttempts,
                }, cancellationToken).ConfigureAwait(false);
                foreach (var request in requests)
                {
                    Start(request, cancellationToken);
                }

                claimed = requests.Count;
            }

            if (claimed == 0 || claimed < free)
            {
                await WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Start(ReplyRequest request, CancellationToken cancellationToken)
    {
        AssistantLog.ReplyClaimed(_logger, request.MessageId, request.Id, request.Attempts);
        var job = new ReplyJob(request, _rest, _realtime, _model, _options, _logger, cancellationToken);
        _jobs[request.Id] = job;
        var task = Task.Run(() => RunJobAsync(job, cancellationToken), CancellationToken.None);
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunJobAsync(ReplyJob job, CancellationToken cancellationToken)
    {
        try
        {
            await job.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The history could not be read, or the final write or finish failed: the lease runs out and another
            // claim retries it (up to MaxAttempts).
            AssistantLog.DatabaseCallFailed(_logger, "reply " + job.Request.MessageId.ToString("D", CultureInfo.InvariantCulture), ex);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _jobs.TryRemove(job.Request.Id, out _);
            _wake.Writer.TryWrite(true);
        }
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        var time = _options.TimeProvider;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var jobs = _jobs.Values.ToList();
            if (jobs.Count == 0)
            {
                continue;
            }

            var started = time.GetTimestamp();
            var args = new JsonObject
            {
                ["p_worker"] = _options.WorkerId,
                ["p_ids"] = new JsonArray([.. jobs.Select(j => (JsonNode)j.Request.Id.ToString("D", CultureInfo.InvariantCulture))]),
                ["p_lease_ms"] = (int)_options.LeaseDuration.TotalMilliseconds,
            };
            IReadOnlyList<ReplyRequest> held;
            try
            {
                held = await _rest.RpcAsync(RenewFunction, args, AssistantJsonContext.Default.IReadOnlyListReplyRequest, cancellationToken)
                    .ConfigureAwait(false) ?? [];
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is PostgrestException or HttpRequestException or OperationCanceledException)
            {
                AssistantLog.DatabaseCallFailed(_logger, RenewFunction, ex);
                foreach (var job in jobs)
                {
                    if (time.GetElapsedTime(job.LastRenewed) >= _options.LeaseDuration)
                    {
                        job.Lose(); // the lease has run out for sure: another worker may hold it now
                    }
                }

                continue;
            }

            var byId = held.ToDictionary(r => r.Id);
            foreach (var job in jobs)
            {
                if (!byId.TryGetValue(job.Request.Id, out var row))
                {
                    // Finished meanwhile (then the job is ending anyway), taken over, or deleted (regenerated).
                    job.Lose();
                }
                else
                {
                    job.LastRenewed = started;
                    if (row.StopRequested)
                    {
                        job.Stop();
                    }
                }
            }
        }
    }

    private async Task<IReadOnlyList<ReplyRequest>> CallAsync(string function, JsonObject args, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.RpcAsync(function, args, AssistantJsonContext.Default.IReadOnlyListReplyRequest, cancellationToken).ConfigureAwait(false) ?? [];
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is PostgrestException or HttpRequestException or OperationCanceledException)
        {
            AssistantLog.DatabaseCallFailed(_logger, function, ex);
            return [];
        }
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.PollInterval);
        try
        {
            if (await _wake.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the poll interval passed
        }
    }
}
