using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>
/// Phoenix presence state of one channel: <c>presence_state</c> replaces the state, <c>presence_diff</c> adds and
/// removes single presences by <c>phx_ref</c> (a leave never drops the other presences of a key). Diffs that arrive
/// before the state of the current join are held and applied after it. Not thread-safe: the channel serialises calls.
/// </summary>
internal sealed class PresenceTracker
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<PresenceEntry>> Empty =
        new Dictionary<string, IReadOnlyList<PresenceEntry>>(StringComparer.Ordinal);

    private readonly Dictionary<string, List<PresenceEntry>> _state = new(StringComparer.Ordinal);
    /// <summary>The most diffs held before the state, and the most characters of JSON they may take together.</summary>
    internal const int MaxPendingDiffs = 1000;

    internal const int MaxPendingDiffChars = 1024 * 1024;

    private readonly List<JsonElement> _pendingDiffs = [];
    private long _pendingChars;
    private bool _synced;

    /// <summary>A new join began: hold diffs until its <c>presence_state</c>.</summary>
    public void Reset()
    {
        _synced = false;
        _pendingDiffs.Clear();
        _pendingChars = 0;
    }

    public IReadOnlyList<PresenceSnapshot> ApplyState(JsonElement payload)
    {
        var incoming = ReadPresences(payload);
        var joins = new Dictionary<string, List<PresenceEntry>>(StringComparer.Ordinal);
        var leaves = new Dictionary<string, List<PresenceEntry>>(StringComparer.Ordinal);
        foreach (var (key, current) in _state)
        {
            var kept = incoming.TryGetValue(key, out var next) ? next : [];
            var left = current.Where(c => !kept.Exists(n => n.PresenceRef == c.PresenceRef)).ToList();
            if (left.Count > 0)
            {
                leaves[key] = left;
            }
        }

        foreach (var (key, next) in incoming)
        {
            var current = _state.TryGetValue(key, out var list) ? list : [];
            var joined = next.Where(n => !current.Exists(c => c.PresenceRef == n.PresenceRef)).ToList();
            if (joined.Count > 0)
            {
                joins[key] = joined;
            }
        }

        _state.Clear();
        foreach (var (key, next) in incoming)
        {
            _state[key] = next;
        }

        _synced = true;
        var snapshots = new List<PresenceSnapshot> { Snapshot(joins, leaves) };
        foreach (var diff in _pendingDiffs)
        {
            snapshots.Add(ApplyDiffCore(diff));
        }

        _pendingDiffs.Clear();
        _pendingChars = 0;
        return snapshots;
    }

    public PresenceSnapshot? ApplyDiff(JsonElement payload)
    {
        if (!_synced)
        {
            // Bounded in count and in size: a server that never sends the state cannot fill memory with diffs.
            var chars = payload.GetRawText().Length;
            if (_pendingDiffs.Count < MaxPendingDiffs && _pendingChars + chars <= MaxPendingDiffChars)
            {
                _pendingDiffs.Add(payload);
                _pendingChars += chars;
            }

            return null;
        }

        return ApplyDiffCore(payload);
    }

    public PresenceSnapshot Current() => Snapshot([], []);

    private PresenceSnapshot ApplyDiffCore(JsonElement payload)
    {
        var joins = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("joins"u8, out var j) ? ReadPresences(j) : [];
        var leaves = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("leaves"u8, out var l) ? ReadPresences(l) : [];
        foreach (var (key, joined) in joins)
        {
            if (!_state.TryGetValue(key, out var current))
            {
                _state[key] = current = [];
            }

            foreach (var entry in joined)
            {
                var index = current.FindIndex(c => c.PresenceRef == entry.PresenceRef);
                if (index >= 0)
                {
                    current[index] = entry;
                }
                else
                {
                    current.Add(entry);
                }
            }
        }

        foreach (var (key, left) in leaves)
        {
            if (!_state.TryGetValue(key, out var current))
            {
                continue;
            }

            current.RemoveAll(c => left.Exists(e => e.PresenceRef == c.PresenceRef));
            if (current.Count == 0)
            {
                _state.Remove(key);
            }
        }

        return Snapshot(joins, leaves);
    }

    private PresenceSnapshot Snapshot(Dictionary<string, List<PresenceEntry>> joins, Dictionary<string, List<PresenceEntry>> leaves) =>
        new(Freeze(_state), joins.Count == 0 ? Empty : Freeze(joins), leaves.Count == 0 ? Empty : Freeze(leaves));

    private static Dictionary<string, IReadOnlyList<PresenceEntry>> Freeze(Dictionary<string, List<PresenceEntry>> source)
    {
        var copy = new Dictionary<string, IReadOnlyList<PresenceEntry>>(source.Count, StringComparer.Ordinal);
        foreach (var (key, list) in source)
        {
            copy[key] = list.ToArray();
        }

        return copy;
    }

    private static Dictionary<string, List<PresenceEntry>> ReadPresences(JsonElement map)
    {
        var result = new Dictionary<string, List<PresenceEntry>>(StringComparer.Ordinal);
        if (map.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        foreach (var property in map.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Object
                || !property.Value.TryGetProperty("metas"u8, out var metas)
                || metas.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var entries = new List<PresenceEntry>();
            foreach (var meta in metas.EnumerateArray())
            {
                var presenceRef = meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("phx_ref"u8, out var r) && r.ValueKind == JsonValueKind.String
                    ? r.GetString()!
                    : "";
                entries.Add(new PresenceEntry(presenceRef, meta));
            }

            result[property.Name] = entries;
        }

        return result;
    }
}
