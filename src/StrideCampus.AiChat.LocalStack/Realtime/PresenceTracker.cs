using System.Security.Cryptography;
using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Presence per topic, as Phoenix.Presence groups it: <c>{key: {metas: [{...payload, phx_ref}]}}</c>.
/// Track, re-track (a leave of the old meta and a join of the new one, with <c>phx_ref_prev</c>)
/// and untrack broadcast a <c>presence_diff</c> <c>{joins, leaves}</c> to every channel on the topic.
/// </summary>
internal sealed class PresenceTracker(ChannelRegistry registry)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<PresenceEntry>> _topics = new(StringComparer.Ordinal);

    public void Track(ChannelSubscription channel, JsonElement meta)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(channel.RoutingKey, out var entries))
            {
                entries = [];
                _topics[channel.RoutingKey] = entries;
            }
            var existing = entries.Find(e => ReferenceEquals(e.Owner, channel));
            if (existing is not null && existing.Meta.GetRawText() == meta.GetRawText())
            {
                return; // Supabase ignores a track with an unchanged payload
            }
            var entry = new PresenceEntry(channel, channel.PresenceKey, NewRef(), existing?.PhxRef, meta.Clone());
            if (existing is not null)
            {
                entries.Remove(existing);
            }
            entries.Add(entry);
            BroadcastDiff(channel, [entry], existing is null ? [] : [existing]);
        }
    }

    public void Untrack(ChannelSubscription channel)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(channel.RoutingKey, out var entries))
            {
                return;
            }
            var left = entries.FindAll(e => ReferenceEquals(e.Owner, channel));
            if (left.Count == 0)
            {
                return;
            }
            entries.RemoveAll(e => ReferenceEquals(e.Owner, channel));
            if (entries.Count == 0)
            {
                _topics.Remove(channel.RoutingKey);
            }
            BroadcastDiff(channel, [], left);
        }
    }

    /// <summary>Writes the <c>presence_state</c> payload of a channel's topic.</summary>
    public void WriteState(Utf8JsonWriter writer, ChannelSubscription channel)
    {
        lock (_gate)
        {
            WriteGroup(writer, _topics.TryGetValue(channel.RoutingKey, out var entries) ? entries : []);
        }
    }

    private void BroadcastDiff(ChannelSubscription source, IReadOnlyList<PresenceEntry> joins, IReadOnlyList<PresenceEntry> leaves)
    {
        var topic = source.Topic;
        void Payload(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WritePropertyName("joins");
            WriteGroup(w, joins);
            w.WritePropertyName("leaves");
            WriteGroup(w, leaves);
            w.WriteEndObject();
        }
        OutboundFrame? v1 = null, v2 = null;
        foreach (var channel in registry.OnTopic(source.RoutingKey))
        {
            if (!channel.CanReceivePresence)
            {
                continue; // a private channel without presence read gets no diffs
            }
            var serializer = channel.Session.Serializer;
            OutboundFrame frame = ReferenceEquals(serializer, PhoenixSerializer.V1)
                ? v1 ??= serializer.Encode(null, null, topic, "presence_diff", Payload)
                : v2 ??= serializer.Encode(null, null, topic, "presence_diff", Payload);
            channel.Session.Send(frame);
        }
    }

    private static void WriteGroup(Utf8JsonWriter writer, IReadOnlyList<PresenceEntry> entries)
    {
        writer.WriteStartObject();
        foreach (var group in entries.GroupBy(e => e.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(group.Key);
            writer.WriteStartObject();
            writer.WritePropertyName("metas");
            writer.WriteStartArray();
            foreach (var entry in group)
            {
                writer.WriteStartObject();
                if (entry.Meta.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in entry.Meta.EnumerateObject())
                    {
                        if (property.Name is not ("phx_ref" or "phx_ref_prev"))
                        {
                            property.WriteTo(writer);
                        }
                    }
                }
                writer.WriteString("phx_ref", entry.PhxRef);
                if (entry.PhxRefPrev is not null)
                {
                    writer.WriteString("phx_ref_prev", entry.PhxRefPrev);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static string NewRef() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(9)).Replace('+', '-').Replace('/', '_');
}
