using System.Globalization;
using Microsoft.Extensions.Configuration;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.DependencyInjection;

/// <summary>
/// Reads <see cref="AiChatClientOptions"/> from a configuration section by hand: no reflection, so
/// the package stays trim- and AOT-safe, and a malformed value names its key.
/// </summary>
internal static class AiChatConfigurationBinder
{
    public static void Bind(IConfiguration section, AiChatClientOptions options)
    {
        if (section["Url"] is { Length: > 0 } url)
        {
            options.Url = Uri.TryCreate(url, UriKind.Absolute, out var uri)
                ? uri
                : throw new FormatException($"AiChat:Url '{url}' is not an absolute URL.");
        }
        if (section["AnonKey"] is { Length: > 0 } key)
        {
            options.AnonKey = key;
        }
        if (section["Schema"] is { Length: > 0 } schema)
        {
            options.Schema = schema;
        }
        options.HeartbeatInterval = ReadTimeSpan(section, "HeartbeatInterval") ?? options.HeartbeatInterval;
        options.RealtimeTimeout = ReadTimeSpan(section, "RealtimeTimeout") ?? options.RealtimeTimeout;
        options.TokenRefreshMargin = ReadTimeSpan(section, "TokenRefreshMargin") ?? options.TokenRefreshMargin;
        if (section["RestMaxRetries"] is { Length: > 0 } retries)
        {
            options.RestMaxRetries = int.TryParse(retries, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new FormatException($"AiChat:RestMaxRetries '{retries}' is not a whole number.");
        }
        if (section["RealtimeSerializer"] is { Length: > 0 } vsn)
        {
            options.RealtimeSerializer = vsn switch
            {
                "1.0.0" or "V1" => RealtimeSerializerVersion.V1,
                "2.0.0" or "V2" => RealtimeSerializerVersion.V2,
                _ => throw new FormatException($"AiChat:RealtimeSerializer '{vsn}' must be 1.0.0 or 2.0.0."),
            };
        }
        var store = section.GetSection("Store");
        if (store["MaxCachedSessions"] is { Length: > 0 } max)
        {
            options.Store.MaxCachedSessions = int.TryParse(max, NumberStyles.Integer, CultureInfo.InvariantCulture, out var m)
                ? m
                : throw new FormatException($"AiChat:Store:MaxCachedSessions '{max}' is not a whole number.");
        }
        options.Store.CacheExpiry = ReadTimeSpan(store, "CacheExpiry") ?? options.Store.CacheExpiry;
        if (store["MaxStreamWritesPerSecond"] is { Length: > 0 } rate)
        {
            options.Store.MaxStreamWritesPerSecond = double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out var r)
                ? r
                : throw new FormatException($"AiChat:Store:MaxStreamWritesPerSecond '{rate}' is not a number.");
        }
        if (store["DefaultSessionTitle"] is { Length: > 0 } title)
        {
            options.Store.DefaultSessionTitle = title;
        }
    }

    private static TimeSpan? ReadTimeSpan(IConfiguration section, string key)
    {
        if (section[key] is not { Length: > 0 } text)
        {
            return null;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"AiChat:{key} '{text}' is not a time span (use hh:mm:ss).");
    }
}
