using System.Text.Encodings.Web;
using System.Text.Json;

namespace StrideCampus.AiChat.LocalStack.Hosting;

/// <summary>JSON written the way Go and Haskell servers write it: no HTML-safe escaping of quotes and apostrophes.</summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
