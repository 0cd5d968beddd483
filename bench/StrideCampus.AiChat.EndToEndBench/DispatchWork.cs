using System.Globalization;
using System.Reflection;

namespace StrideCampus.AiChat.EndToEndBench;

/// <summary>
/// LocalStack's own count of the work it did for postgres_changes (RLS checks run, frames encoded), read by reflection
/// from its internal dispatcher so the same bench builds against a LocalStack without the counters (then: unknown).
/// </summary>
internal readonly record struct DispatchWork(long? Checks, long? Encodes)
{
    public static DispatchWork Read(BenchStack stack)
    {
        try
        {
            var services = stack.Server.Services;
            var serviceType = typeof(StrideCampus.AiChat.LocalStack.Hosting.LocalStackServer).Assembly.GetType("StrideCampus.AiChat.LocalStack.Realtime.RealtimeService");
            var service = serviceType is null ? null : services.GetService(serviceType);
            var dispatcher = serviceType?.GetProperty("Dispatcher", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)?.GetValue(service);
            if (dispatcher is null)
            {
                return default;
            }
            var flags = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
            var encodes = (long?)dispatcher.GetType().GetProperty("Encodes", flags)?.GetValue(dispatcher);
            var authorizer = dispatcher.GetType().GetProperty("Authorizer", flags)?.GetValue(dispatcher);
            var checks = (long?)authorizer?.GetType().GetProperty("Checks", flags)?.GetValue(authorizer);
            return new DispatchWork(checks, encodes);
        }
        catch (Exception ex) when (ex is TargetInvocationException or InvalidCastException)
        {
            return default;
        }
    }

    public string PerRow(DispatchWork before, int rows) =>
        Checks is null || Encodes is null || before.Checks is null || before.Encodes is null
            ? "unknown (this LocalStack has no counters)"
            : string.Create(CultureInfo.InvariantCulture, $"{(Checks - before.Checks) / (double)rows:F1} RLS checks, {(Encodes - before.Encodes) / (double)rows:F1} frames encoded");
}
