using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.LocalStack.Auth;

/// <summary>
/// GoTrue's per-IP token buckets (supabase/auth <c>internal/api/apilimiter/apilimiter.go</c>, defaults in
/// <c>internal/conf/configuration.go</c>): <c>/signup</c> refills <c>GOTRUE_RATE_LIMIT_OTP</c> = 30 per 5 minutes,
/// <c>/token</c> (password and refresh grants, <c>internal/api/token.go</c>) <c>GOTRUE_RATE_LIMIT_TOKEN_REFRESH</c> =
/// 150 per 5 minutes, each with a burst of 30. Over a limit: 429 <c>over_request_rate_limit</c>
/// (<c>internal/api/middleware.go</c>).
/// </summary>
internal sealed class AuthRateLimiter : IDisposable
{
    private readonly bool _enabled;
    private readonly PartitionedRateLimiter<IPAddress> _signups = PerAddress(TimeSpan.FromSeconds(10)); // 30 per 300 s
    private readonly PartitionedRateLimiter<IPAddress> _tokens = PerAddress(TimeSpan.FromSeconds(2)); // 150 per 300 s

    public AuthRateLimiter(LocalStackContext context) => _enabled = context.Options.AuthRateLimits;

    public void CheckSignUp(HttpContext http) => Check(_signups, http);

    public void CheckToken(HttpContext http) => Check(_tokens, http);

    public void Dispose()
    {
        _signups.Dispose();
        _tokens.Dispose();
    }

    private void Check(PartitionedRateLimiter<IPAddress> limiter, HttpContext http)
    {
        if (!_enabled)
        {
            return;
        }
        using var lease = limiter.AttemptAcquire(http.Connection.RemoteIpAddress ?? IPAddress.None);
        if (!lease.IsAcquired)
        {
            throw new GoTrueException(StatusCodes.Status429TooManyRequests, "over_request_rate_limit", "Request rate limit reached");
        }
    }

    private static PartitionedRateLimiter<IPAddress> PerAddress(TimeSpan onePer) =>
        PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = 30,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = onePer,
            AutoReplenishment = true,
            QueueLimit = 0,
        }));
}
