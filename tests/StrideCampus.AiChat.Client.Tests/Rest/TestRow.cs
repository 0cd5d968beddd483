using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace StrideCampus.AiChat.Client.Tests.Rest;

internal sealed record TestRow(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("meta"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObject? Meta = null);

[JsonSerializable(typeof(TestRow))]
[JsonSerializable(typeof(List<TestRow>))]
[JsonSerializable(typeof(int))]
internal sealed partial class RestTestJsonContext : JsonSerializerContext;
