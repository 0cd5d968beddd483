using System.Text.Encodings.Web;
using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>JSON written the way Go and Haskell servers write it: no HTML-safe escaping of quotes and apostrophes.</summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// For realtime frames: Supabase Realtime (Elixir's Jason) escapes only quotes, backslashes and control
    /// characters, so a timestamp keeps its <c>+</c> and text its non-ASCII letters.
    /// </summary>
    public static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
