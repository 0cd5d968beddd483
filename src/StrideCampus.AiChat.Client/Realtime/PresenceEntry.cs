using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>One tracked presence of a key (a key can be present several times, e.g. in several tabs).</summary>
/// <param name="PresenceRef">The server's <c>phx_ref</c> of this presence.</param>
/// <param name="Meta">The tracked metadata (including <c>phx_ref</c>).</param>
public sealed record PresenceEntry(string PresenceRef, JsonElement Meta);
