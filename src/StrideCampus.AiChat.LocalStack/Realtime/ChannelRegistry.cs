namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// Every joined channel of every socket, by routing key (topic, kept apart for private channels; for broadcast and presence) and as one snapshot
/// of the channels with postgres_changes bindings (for the change dispatcher). Copy-on-write:
/// readers never lock.
/// </summary>
internal sealed class ChannelRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, ChannelSubscription[]> _byTopic = new(StringComparer.Ordinal);
    private ChannelSubscription[] _withBindings = [];

    /// <summary>Channels that have at least one postgres_changes binding.</summary>
    public ChannelSubscription[] PostgresSubscribers => Volatile.Read(ref _withBindings);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byTopic.Values.Sum(a => a.Length);
            }
        }
    }

    public void Add(ChannelSubscription channel)
    {
        lock (_gate)
        {
            _byTopic[channel.RoutingKey] = _byTopic.TryGetValue(channel.RoutingKey, out var existing) ? [.. existing, channel] : [channel];
            if (channel.Bindings.Count > 0)
            {
                Volatile.Write(ref _withBindings, [.. _withBindings, channel]);
            }
        }
    }

    public void Remove(ChannelSubscription channel)
    {
        lock (_gate)
        {
            if (_byTopic.TryGetValue(channel.RoutingKey, out var existing))
            {
                var rest = existing.Where(c => !ReferenceEquals(c, channel)).ToArray();
                if (rest.Length == 0)
                {
                    _byTopic.Remove(channel.RoutingKey);
                }
                else
                {
                    _byTopic[channel.RoutingKey] = rest;
                }
            }
            if (channel.Bindings.Count > 0)
            {
                Volatile.Write(ref _withBindings, _withBindings.Where(c => !ReferenceEquals(c, channel)).ToArray());
            }
        }
    }

    /// <summary>The channels joined to a topic, across all sockets: <paramref name="routingKey"/> is <see cref="ChannelSubscription.RoutingKey"/>.</summary>
    public ChannelSubscription[] OnTopic(string routingKey)
    {
        lock (_gate)
        {
            return _byTopic.TryGetValue(routingKey, out var channels) ? channels : [];
        }
    }
}
