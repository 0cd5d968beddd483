using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat.Fakes;

/// <summary>
/// Makes a streamed reply's relay independent of how fast the database confirms: the insert goes through (and
/// <see cref="InsertStarted"/> says so), every later write waits until the relay has carried the whole text. Otherwise a
/// database that confirmed the whole text first leaves the relay nothing to send, which is right but varies per run.
/// </summary>
internal sealed class HeldStreamWrites
{
    private readonly TaskCompletionSource _insertStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _updateStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeldStreamWrites(FakeChatDatabase db, FakeStreamRelay relay, int finalLength)
    {
        db.BeforeCall = name =>
        {
            if (name == nameof(IChatDataSource.UpsertMessageAsync))
            {
                _insertStarted.TrySetResult();
                return Task.CompletedTask;
            }

            if (name == nameof(IChatDataSource.UpdateMessageAsync))
            {
                _updateStarted.TrySetResult();
                return Eventually.TrueAsync(() => RelayedTo(relay) == finalLength, "the relay to carry the whole text");
            }

            return Task.CompletedTask;
        };
    }

    /// <summary>The insert (the first write) started: it holds the first token at most when awaited before the second.</summary>
    public Task InsertStarted => _insertStarted.Task;

    /// <summary>An update started: the writer has confirmed the insert to the relayer by then.</summary>
    public Task UpdateStarted => _updateStarted.Task;

    /// <summary>Where the relay's last delta ends.</summary>
    public static int RelayedTo(FakeStreamRelay relay)
    {
        lock (relay.Published)
        {
            return relay.Published.Count == 0 ? 0 : relay.Published[^1].Offset + relay.Published[^1].Text.Length;
        }
    }
}
