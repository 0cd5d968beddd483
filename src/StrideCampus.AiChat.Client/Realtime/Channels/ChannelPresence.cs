using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// A channel's presence: the tracker of the server's state and diffs, the snapshots stream, and what this client
/// tracks (re-sent after a rejoin). Its lock guards the tracker only; snapshots are published after it is released.
/// </summary>
internal sealed class ChannelPresence
{
    private readonly object _gate = new();
    private readonly PresenceTracker _tracker = new();
    private readonly SafeSubject<PresenceSnapshot> _snapshots;
    private volatile bool _tracked;
    private volatile byte[]? _trackedMeta;

    public ChannelPresence(ILogger logger, string topic) =>
        _snapshots = new SafeSubject<PresenceSnapshot>(logger, topic + " presence", replayLatest: true);

    public IObservable<PresenceSnapshot> Snapshots => _snapshots;

    /// <summary>Whether the join should enable presence: this client tracked once, or someone observes it.</summary>
    public bool Wanted => _tracked || _snapshots.HasObservers;

    /// <summary>The <c>track</c> push body to send again after a rejoin, if this client tracks.</summary>
    public byte[]? TrackedMeta => _trackedMeta;

    /// <summary>Records the tracking and returns the push body.</summary>
    public byte[] Track(JsonElement meta)
    {
        var body = Payload("track", meta);
        _tracked = true;
        _trackedMeta = body;
        return body;
    }

    /// <summary>Records the end of tracking and returns the push body.</summary>
    public byte[] Untrack()
    {
        _trackedMeta = null;
        return Payload("untrack", null);
    }

    /// <summary>A new join starts from the server's next full state.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _tracker.Reset();
        }
    }

    public void Apply(JsonElement payload, bool isState)
    {
        IReadOnlyList<PresenceSnapshot> snapshots;
        lock (_gate)
        {
            if (isState)
            {
                snapshots = _tracker.ApplyState(payload);
            }
            else
            {
                var snapshot = _tracker.ApplyDiff(payload);
                snapshots = snapshot is null ? [] : [snapshot];
            }
        }

        foreach (var snapshot in snapshots)
        {
            _snapshots.OnNext(snapshot);
        }
    }

    public void Complete() => _snapshots.OnCompleted();

    private static byte[] Payload(string @event, JsonElement? meta) =>
        ChannelPayloads.Serialize((Event: @event, Meta: meta), static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "presence");
            w.WriteString("event"u8, s.Event);
            if (s.Meta is { } m)
            {
                w.WritePropertyName("payload"u8);
                m.WriteTo(w);
            }

            w.WriteEndObject();
        });
}
