using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Assistant;

[JsonSerializable(typeof(IReadOnlyList<ReplyRequest>))]
[JsonSerializable(typeof(bool))]
internal sealed partial class AssistantJsonContext : JsonSerializerContext;
