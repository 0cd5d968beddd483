using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>One tracked presence: the channel that tracked it, its key, its <c>phx_ref</c> and the tracked payload.</summary>
internal sealed record PresenceEntry(ChannelSubscription Owner, string Key, string PhxRef, string? PhxRefPrev, JsonElement Meta);
