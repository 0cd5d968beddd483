namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>Phoenix and Supabase Realtime event names.</summary>
internal static class PhoenixEvents
{
    public const string PhoenixTopic = "phoenix";
    public const string Heartbeat = "heartbeat";
    public const string Join = "phx_join";
    public const string Leave = "phx_leave";
    public const string Reply = "phx_reply";
    public const string Error = "phx_error";
    public const string Close = "phx_close";
    public const string AccessToken = "access_token";
    public const string PostgresChanges = "postgres_changes";
    public const string Broadcast = "broadcast";
    public const string Presence = "presence";
    public const string PresenceState = "presence_state";
    public const string PresenceDiff = "presence_diff";
    public const string System = "system";
}
