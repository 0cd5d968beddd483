using System.Runtime.CompilerServices;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime.Protocol;

/// <summary>
/// A row image of a postgres_changes event, kept as the UTF-8 JSON it arrived as (copied out of the receive
/// buffer). The SDK's own consumers deserialize straight from the bytes; a <see cref="JsonElement"/> is built
/// only when someone asks for one, which saves a document (and a parse) per image on the hot path.
/// </summary>
internal sealed class RowImage(byte[] utf8)
{
    private StrongBox<JsonElement>? _element;

    /// <summary>The JSON value as received.</summary>
    public ReadOnlySpan<byte> Utf8 => utf8;

    /// <summary>Whether the value is a JSON object (the copy starts at its first token).</summary>
    public bool IsObject => utf8.Length > 0 && utf8[0] == (byte)'{';

    /// <summary>The value as a <see cref="JsonElement"/>, parsed on first use (safe to call from any thread).</summary>
    public JsonElement Element
    {
        get
        {
            var box = Volatile.Read(ref _element);
            if (box is null)
            {
                var reader = new Utf8JsonReader(utf8, PostgresChangeParser.Options); // the depth the frame was accepted with
                reader.Read();
                var parsed = new StrongBox<JsonElement>(JsonElement.ParseValue(ref reader));
                box = Interlocked.CompareExchange(ref _element, parsed, null) ?? parsed;
            }

            return box.Value;
        }
    }
}
