using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime.Rows;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A Phoenix channel on the realtime socket (topic <c>realtime:{name}</c>): postgres_changes, broadcast and presence.
/// After <see cref="SubscribeAsync"/> the channel stays joined: it rejoins by itself after errors, reconnects and
/// closes by the server (except permission refusals), reporting <see cref="SubscribeStatus.Subscribed"/> again after
/// each rejoin (consumers then refetch and reconcile). With postgres_changes bindings, Subscribed means that changes
/// flow: it is reported on the server's "Subscribed to PostgreSQL" (or after
/// <see cref="RealtimeClientOptions.PostgresChangesConfirmTimeout"/>), and again on each later one.
/// </summary>
/// <remarks>Get one from <see cref="RealtimeClient.Channel"/>. Members are virtual so that an app can mock the channel in its unit tests.</remarks>
public class RealtimeChannel : IAsyncDisposable
{
    private readonly ChannelEngine _engine = null!;

    internal RealtimeChannel(ChannelEngine engine) => _engine = engine;

    /// <summary>For mocking: a channel with no engine behind it (every member must be set up).</summary>
    protected RealtimeChannel()
    {
    }

    /// <summary>The Phoenix topic, <c>realtime:{name}</c>.</summary>
    public virtual string Topic => _engine.Topic;

    /// <summary>The channel state.</summary>
    public virtual ChannelState State => _engine.State;

    /// <summary>Subscription statuses (the latest is replayed to a new subscriber). Never fails; completes on dispose.</summary>
    public virtual IObservable<ChannelStatusChange> Statuses => _engine.Statuses;

    /// <summary>Presence snapshots after each <c>presence_state</c>/<c>presence_diff</c> (the latest is replayed). Observing before the join enables presence.</summary>
    public virtual IObservable<PresenceSnapshot> Presence => _engine.Presence;

    internal string? JoinRef => _engine.JoinRef;

    /// <summary>
    /// Registers a postgres_changes binding; call before <see cref="SubscribeAsync"/> (bindings are part of the join).
    /// Events arrive for the binding whose server-assigned id is in the event's <c>ids</c>.
    /// </summary>
    /// <param name="filter">Which changes to receive.</param>
    /// <exception cref="InvalidOperationException">The channel is already subscribed.</exception>
    public virtual IObservable<PostgresChangeEvent> OnPostgresChanges(PostgresChangesFilter filter) => _engine.OnPostgresChanges(filter);

    /// <summary>
    /// Registers a postgres_changes binding whose changes go to <paramref name="handler"/> read in place, on the
    /// receive loop (the SDK's chat feed decodes its rows there, with no copy). The change is a ref struct valid only
    /// during the call. Exceptions the handler throws are logged. Call before <see cref="SubscribeAsync"/>.
    /// </summary>
    internal void OnRowChanges(PostgresChangesFilter filter, RowChangeHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _engine.OnPostgresChangeFrames(filter, frame => handler(new RowChange(frame)));
    }

    /// <summary>Broadcasts of one event (<c>"*"</c> for every event).</summary>
    /// <param name="event">The user event name, or <c>"*"</c>.</param>
    public virtual IObservable<BroadcastMessage> OnBroadcast(string @event) => _engine.OnBroadcast(@event);

    /// <summary>
    /// Joins the channel (connecting the socket if needed). Completes on the first <see cref="SubscribeStatus.Subscribed"/>;
    /// throws <see cref="RealtimeException"/> when the socket does not connect within <see cref="RealtimeClientOptions.Timeout"/>,
    /// or the join is refused, times out, or the bindings mismatch. Unless the
    /// bindings mismatched, Realtime Authorization refused a private channel (the server's reason then starts with
    /// <c>Unauthorized:</c>) or the project allows private channels only (<c>PrivateOnly:</c>; see
    /// <see cref="RealtimeException.IsPermissionRefusal"/>), the channel keeps rejoining by itself with backoff.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the channel stays subscribing; call <see cref="UnsubscribeAsync"/> to stop).</param>
    public virtual Task SubscribeAsync(CancellationToken cancellationToken = default) => _engine.SubscribeAsync(cancellationToken);

    /// <summary>Leaves the channel (waiting for the server's reply up to the timeout) and stops rejoining.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public virtual Task UnsubscribeAsync(CancellationToken cancellationToken = default) => _engine.UnsubscribeAsync(cancellationToken);

    /// <summary>
    /// Sends a broadcast to the channel's other subscribers. The channel must be subscribed; a send made before the
    /// join completes is buffered and flushed on join. With <see cref="RealtimeChannelOptions.BroadcastAck"/> it waits
    /// for the server's acknowledgement.
    /// </summary>
    /// <param name="event">The user event name.</param>
    /// <param name="payload">The JSON payload.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public virtual Task SendBroadcastAsync(string @event, JsonElement payload, CancellationToken cancellationToken = default) =>
        _engine.SendBroadcastAsync(@event, payload, static (w, p) => p.WriteTo(w), cancellationToken);

    /// <summary>Sends a broadcast whose payload <paramref name="writePayload"/> writes straight into the frame (no document).</summary>
    internal Task SendBroadcastAsync<TState>(string @event, TState state, Action<Utf8JsonWriter, TState> writePayload, CancellationToken cancellationToken = default) =>
        _engine.SendBroadcastAsync(@event, state, writePayload, cancellationToken);

    /// <summary>Tracks this client's presence with <paramref name="meta"/> (re-tracked automatically after a rejoin).</summary>
    /// <param name="meta">The presence metadata (a JSON object).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public virtual Task TrackAsync(JsonElement meta, CancellationToken cancellationToken = default) => _engine.TrackAsync(meta, cancellationToken);

    /// <summary>Stops tracking this client's presence.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public virtual Task UntrackAsync(CancellationToken cancellationToken = default) => _engine.UntrackAsync(cancellationToken);

    /// <summary>Leaves the channel (without waiting), stops every timer, and completes every stream of the channel.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }
}
