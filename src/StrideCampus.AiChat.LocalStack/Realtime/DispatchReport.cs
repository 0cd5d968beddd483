namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>What dispatching one change did: channels that got it, distinct principals checked, frames encoded.</summary>
internal readonly record struct DispatchReport(RowChange Change, int Channels, int Principals, int Encodes);
