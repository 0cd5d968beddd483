namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>
/// The project's Realtime event quota (Supabase's <c>max_events_per_second</c>), counted as Supabase counts it:
/// <list type="bullet">
/// <item>broadcasts in <see cref="Events"/>, once when a client sends one (supabase/realtime
/// <c>lib/realtime_web/channels/realtime_channel/broadcast_handler.ex</c>, <c>increment_rate_counter</c>) and once
/// per receiving channel (<c>realtime_channel/message_dispatcher.ex</c> sends <c>:update_rate_counter</c>;
/// <c>realtime_channel.ex</c> <c>handle_info(:update_rate_counter)</c> counts and, over the limit, ends that channel
/// with the system error "Too many messages per second" and <c>phx_close</c>);</item>
/// <item>database changes in <see cref="DatabaseEvents"/>, once per matched subscription; over the limit the poller
/// skips them without a signal (<c>lib/extensions/postgres_cdc_rls/replication_poller.ex</c>,
/// <c>Tenants.db_events_per_second_rate</c> in <c>lib/realtime/tenants.ex</c>).</item>
/// </list>
/// </summary>
internal sealed class TenantQuota(int eventsPerSecond, TimeSpan tick, TimeProvider time)
{
    /// <summary>The reason of the system error that ends a channel over the quota (Supabase's words).</summary>
    public const string TooManyMessages = "Too many messages per second";

    /// <summary>Broadcasts (and other channel messages): in and out.</summary>
    public EventRateCounter Events { get; } = new(eventsPerSecond, tick, time);

    /// <summary>Database changes delivered, per matched subscription.</summary>
    public EventRateCounter DatabaseEvents { get; } = new(eventsPerSecond, tick, time);

    /// <summary>Counts a broadcast a client sent.</summary>
    public void CountInbound() => Events.Add(1);

    /// <summary>Counts a delivery to one channel; true when that channel must now be ended over the quota.</summary>
    public bool CountDelivery()
    {
        Events.Add(1);
        return Events.IsTriggered;
    }

    /// <summary>Counts a database change delivered to <paramref name="subscriptions"/> subscriptions; false (nothing counted) when it must be dropped.</summary>
    public bool AdmitDatabaseChange(int subscriptions)
    {
        if (DatabaseEvents.IsTriggered)
        {
            return false;
        }

        DatabaseEvents.Add(subscriptions);
        return true;
    }
}
