using System.Text.Json;
using System.Text.Json.Nodes;
using StrideCampus.AiChat.Client.Realtime;
using StrideCampus.AiChat.Client.Realtime.Rows;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A message's metadata as the JSON object it arrived as, parsed once on first use (from any thread).</summary>
internal sealed class LazyMetadata(byte[] utf8)
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = RowReader.MaxDepth };

    private JsonObject? _value;

    public JsonObject Value
    {
        get
        {
            if (Volatile.Read(ref _value) is { } value)
            {
                return value;
            }

            var parsed = JsonNode.Parse(utf8, documentOptions: Options)!.AsObject();
            return Interlocked.CompareExchange(ref _value, parsed, null) ?? parsed;
        }
    }
}
