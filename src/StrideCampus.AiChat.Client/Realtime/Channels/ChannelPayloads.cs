using System.Buffers;
using System.Text.Json;

namespace StrideCampus.AiChat.Client.Realtime;

/// <summary>Small JSON helpers shared by a channel's parts.</summary>
internal static class ChannelPayloads
{
    public static readonly byte[] EmptyObject = "{}"u8.ToArray();

    public static byte[] Serialize<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer, state);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static JsonElement Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        return JsonElement.ParseValue(ref reader);
    }

    public static string? StringOf(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
