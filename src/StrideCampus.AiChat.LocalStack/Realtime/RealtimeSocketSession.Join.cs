using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary> Joins (and their checks: token, private-channel policies, postgres_changes bindings) and access token refresh. </summary>
internal sealed partial class RealtimeSocketSession
{
    private async Task JoinAsync(PhoenixMessage message)
    {
        var topic = message.Topic;
        if (!topic.StartsWith("realtime:", StringComparison.Ordinal) || topic.Length == "realtime:".Length)
        {
            var reason = topic == "realtime:" ? "TopicNameRequired: You must provide a topic name" : "unmatched topic";
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, reason)));
            return;
        }
        if (_service.Options.PrivateOnly && !IsTrue(Get(Get(message.Payload, "config"), "private")))
        {
            // Checked before the token, as Supabase does (realtime_channel.ex, only_private?): a join error reply.
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, PrivateOnlyReason)));
            return;
        }
        if (!_service.JoinRate.TryJoin())
        {
            // supabase/realtime realtime_channel.ex: the join is refused and the whole socket disconnected.
            _logger.LogWarning("Join of {Topic} refused: over {Max} joins per second", topic, _service.Options.MaxJoinsPerSecond);
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, "ClientJoinRateLimitReached: Too many joins per second")));
            Send(new OutboundFrame(default, WebSocketMessageType.Close, WebSocketCloseStatus.PolicyViolation, "too many joins"));
            return;
        }
        ChannelSubscription? previous;
        bool tooMany;
        lock (_gate)
        {
            _channels.Remove(topic, out previous);
            tooMany = _channels.Count >= _service.Options.MaxChannelsPerSocket;
        }
        if (tooMany)
        {
            // supabase/realtime realtime_channel.ex limit_channels: max_channels_per_client per socket.
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, "ChannelRateLimitReached: Too many channels")));
            if (previous is not null)
            {
                Close(previous);
            }
            return;
        }
        if (previous is not null)
        {
            // Phoenix closes the existing channel of a duplicate join.
            Close(previous);
        }

        var payload = message.Payload;
        var token = GetString(payload, "access_token") ?? GetString(payload, "user_token");
        TokenCheck auth;
        if (token is null || token.StartsWith("sb_", StringComparison.Ordinal) || token == _apiKey.Token)
        {
            auth = await _service.Tokens.CheckAsync(_apiKey.Token).ConfigureAwait(false);
        }
        else
        {
            auth = await _service.Tokens.CheckAsync(token).ConfigureAwait(false);
        }
        if (!auth.IsValid)
        {
            _logger.LogInformation("Join of {Topic} refused: {Reason}", topic, auth.JoinError);
            Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, auth.JoinError)));
            return;
        }

        var config = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var broadcast = Get(config, "broadcast");
        var presence = Get(config, "presence");
        var isPrivate = IsTrue(Get(config, "private"));
        var presenceEnabled = IsTrue(Get(presence, "enabled"));
        ChannelPolicies? policies = null;
        if (isPrivate)
        {
            // Realtime Authorization: the read policies decide the join (checked once here, not per message).
            var (checkedPolicies, refusal) = await CheckReadAsync(ChannelSubscription.NameOf(topic), auth, presenceEnabled).ConfigureAwait(false);
            if (refusal is not null)
            {
                _logger.LogInformation("Join of private {Topic} refused: {Reason}", topic, refusal);
                Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "error", w => WriteReason(w, refusal)));
                return;
            }
            policies = checkedPolicies;
        }
        var presenceKey = Get(presence, "key") is { ValueKind: JsonValueKind.String } k && k.GetString() is { Length: > 0 } key ? key
            : Get(presence, "key") is { ValueKind: JsonValueKind.Number } n ? n.GetRawText()
            : Guid.NewGuid().ToString();
        var bindings = new List<PostgresBinding>();
        if (Get(config, "postgres_changes") is { ValueKind: JsonValueKind.Array } changes)
        {
            foreach (var item in changes.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Null)
                {
                    bindings.Add(PostgresBinding.Parse(item));
                }
            }
        }
        var channel = new ChannelSubscription(this, topic, message.JoinRef ?? message.Ref,
            ack: IsTrue(Get(broadcast, "ack")), self: IsTrue(Get(broadcast, "self")),
            presenceKey, presenceEnabled, bindings, auth, isPrivate, policies);
        lock (_gate)
        {
            _channels[topic] = channel;
        }
        // Registered before the reply: every change committed after the client sees the reply is delivered,
        // unless hosted Supabase's delayed subscription is on (then from "Subscribed to PostgreSQL").
        _service.Subscriptions.Hold(channel);
        _service.Registry.Add(channel);
        Send(Serializer.Reply(message.JoinRef, message.Ref, topic, "ok", w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("postgres_changes");
            foreach (var binding in bindings)
            {
                w.WriteStartObject();
                if (binding.Requested.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in binding.Requested.EnumerateObject())
                    {
                        if (property.Name != "id")
                        {
                            property.WriteTo(w);
                        }
                    }
                }
                w.WriteNumber("id", binding.Id);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));
        _logger.LogDebug("Joined {Topic} ({Visibility}) as {Role} with {Bindings} postgres_changes bindings", topic, isPrivate ? "private" : "public", auth.Role, bindings.Count);

        if (channel.PresenceEnabled && channel.CanReceivePresence)
        {
            Send(Serializer.Encode(channel.JoinRef, null, topic, "presence_state", w => _service.Presence.WriteState(w, channel)));
        }
        if (bindings.Count > 0 && _service.Subscriptions.Delayed)
        {
            _service.Subscriptions.ConfirmLater(channel, () => ConfirmBindingsAsync(channel), _lifetime?.Token ?? CancellationToken.None);
        }
        else if (bindings.Count > 0)
        {
            await ConfirmBindingsAsync(channel).ConfigureAwait(false);
        }
        if (IsTrue(Get(broadcast, "replication_ready")))
        {
            _ = NotifyReplicationReadyAsync(channel);
        }
    }

    private async Task ConfirmBindingsAsync(ChannelSubscription channel)
    {
        string? error = null;
        foreach (var binding in channel.Bindings)
        {
            error = binding.Error;
            if (error is null && binding.Table != "*" && binding.Schema != "*")
            {
                var columns = await _service.Catalog.ColumnsAsync(binding.Schema, binding.Table, CancellationToken.None).ConfigureAwait(false);
                var filters = string.Join(", ", binding.Filter.Conditions.Select(f => $"{{\"{f.Column}\", \"{f.Operator.ToString().ToLowerInvariant()}\", \"{string.Join(',', f.Values)}\"}}"));
                var parameters = $"schema: {binding.Schema}, table: {binding.Table}, filters: [{filters}]";
                if (columns is null)
                {
                    error = "Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [" + parameters + "]";
                }
                else if (binding.Filter.Conditions.FirstOrDefault(f => !columns.Contains(f.Column)) is { } bad)
                {
                    error = "Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [" + parameters + "]. Exception: ERROR P0001 (raise_exception) invalid column for filter " + bad.Column;
                }
            }
            if (error is not null)
            {
                break;
            }
        }
        if (error is null)
        {
            await _service.Subscriptions.StartFlowingAsync(channel, CancellationToken.None).ConfigureAwait(false);
        }
        SendSystem(channel, "postgres_changes", error is null ? "ok" : "error", error ?? "Subscribed to PostgreSQL");
    }

    private async Task NotifyReplicationReadyAsync(ChannelSubscription channel)
    {
        try
        {
            await _service.Replication.Ready.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (!channel.IsClosed)
            {
                SendSystem(channel, "system", "ok", "Replication connection established");
            }
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Shutdown(channel, "Replication connection was not established in time");
        }
    }

    private async Task RefreshTokenAsync(ChannelSubscription channel, PhoenixMessage message)
    {
        var token = GetString(message.Payload, "access_token");
        if (token is null || token.StartsWith("sb_", StringComparison.Ordinal) || token == channel.Auth.Token)
        {
            return;
        }
        var check = await _service.Tokens.CheckAsync(token).ConfigureAwait(false);
        if (!check.IsValid)
        {
            Shutdown(channel, check.ShutdownMessage);
            return;
        }
        if (channel.IsPrivate)
        {
            // Supabase re-evaluates read with the new token (write again on next use) and ends a channel that lost read.
            var previous = channel.Policies;
            var (policies, refusal) = await CheckReadAsync(channel.Name, check, channel.PresenceEnabled).ConfigureAwait(false);
            if (refusal is not null)
            {
                Shutdown(channel, refusal.StartsWith(UnauthorizedCode, StringComparison.Ordinal) ? refusal[UnauthorizedCode.Length..] : UnableToConnectMessage);
                return;
            }
            if ((previous.BroadcastRead == true && policies.BroadcastRead == false) || (previous.PresenceRead == true && policies.PresenceRead == false))
            {
                Shutdown(channel, "You no longer have permission to read from this Channel topic: " + channel.Name);
                return;
            }
            channel.Policies = policies;
        }
        channel.Auth = check;
        if (channel.Bindings.Count > 0)
        {
            await ConfirmBindingsAsync(channel).ConfigureAwait(false);
        }
    }

    private const string UnauthorizedCode = "Unauthorized: ";
    private const string PrivateOnlyReason = "PrivateOnly: This project only allows private channels";
    private const string UnableToConnectMessage = "Realtime was unable to connect to the project database";

    /// <summary>
    /// Read permissions of a private topic; the refusal is the join's <c>reason</c> as Supabase words it (no read
    /// permission, or a policy that fails, is "Unauthorized: ..."), or null when the user may join.
    /// </summary>
    private async Task<(ChannelPolicies Policies, string? Refusal)> CheckReadAsync(string name, TokenCheck user, bool presenceEnabled)
    {
        var unauthorized = UnauthorizedCode + "You do not have permissions to read from this Channel topic: " + name;
        try
        {
            var result = await _service.Authorizer.ReadAsync(ChannelPolicies.Unchecked, name, user, _headersJson.Value, presenceEnabled, _lifetime?.Token ?? CancellationToken.None).ConfigureAwait(false);
            return (result, result.CanJoin ? null : unauthorized);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation)
        {
            _logger.LogWarning("Read check of {Topic} failed: {Error}", name, ex.MessageText);
            return (ChannelPolicies.Unchecked, "MissingPartition: Realtime was unable to find the expected messages partition");
        }
        catch (PostgresException ex)
        {
            // An RLS policy that errors (or a role that does not exist) refuses, as Supabase does.
            _logger.LogWarning("Read check of {Topic} as {Role} failed: {Error}", name, user.Role, ex.MessageText);
            return (ChannelPolicies.Unchecked, unauthorized);
        }
        catch (NpgsqlException ex)
        {
            _logger.LogWarning("Read check of {Topic} could not reach the database: {Error}", name, ex.Message);
            return (ChannelPolicies.Unchecked, "UnableToConnectToProject: " + UnableToConnectMessage);
        }
    }

    /// <summary>
    /// Write permissions of a private channel (broadcast and presence together), checked on first use after a join
    /// or token change and then kept; a presence track also checks presence read when the join did not. Unchecked
    /// (so refused) when the check fails.
    /// </summary>
    private async Task<ChannelPolicies> EnsureWritePoliciesAsync(ChannelSubscription channel, bool presenceTrack = false)
    {
        var policies = channel.Policies;
        var readPresence = presenceTrack && policies.PresenceRead is null;
        if (policies.BroadcastWrite is not null && !readPresence)
        {
            return policies;
        }
        try
        {
            if (readPresence)
            {
                policies = await _service.Authorizer.ReadAsync(policies, channel.Name, channel.Auth, _headersJson.Value, presenceEnabled: true, _lifetime?.Token ?? CancellationToken.None).ConfigureAwait(false);
            }
            if (policies.BroadcastWrite is null)
            {
                policies = await _service.Authorizer.WriteAsync(policies, channel.Name, channel.Auth, _headersJson.Value, _lifetime?.Token ?? CancellationToken.None).ConfigureAwait(false);
            }
            channel.Policies = policies;
            return policies;
        }
        catch (NpgsqlException ex)
        {
            _logger.LogWarning("Write check of {Topic} as {Role} failed: {Error}", channel.Topic, channel.Auth.Role, ex.Message);
            return policies;
        }
    }
}
