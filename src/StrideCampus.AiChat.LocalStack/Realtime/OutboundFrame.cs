using System.Net.WebSockets;

namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>A frame queued for one socket; a close frame when <see cref="CloseStatus"/> is set.</summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Data, WebSocketMessageType Type, WebSocketCloseStatus? CloseStatus = null, string? CloseReason = null);
