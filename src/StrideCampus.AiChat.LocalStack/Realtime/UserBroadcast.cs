namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>A broadcast carried as bytes: the user event, and a payload that is JSON text or opaque binary.</summary>
internal sealed record UserBroadcast(string Event, bool IsJson, ReadOnlyMemory<byte> Payload);
