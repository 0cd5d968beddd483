using StrideCampus.AiChat.LocalStack.Hosting;

namespace StrideCampus.AiChat.ConsoleDemo;

/// <summary>
/// Where the demo's two tabs connect: a real Supabase project when SUPABASE_URL and
/// SUPABASE_ANON_KEY are set, otherwise LocalStack started in this process.
/// </summary>
internal sealed class DemoBackend : IAsyncDisposable
{
    private readonly LocalStackServer? _localStack;

    private DemoBackend(Uri url, string anonKey, string email, string password, bool signUp, LocalStackServer? localStack, string? serviceRoleKey)
    {
        Url = url;
        ServiceRoleKey = serviceRoleKey;
        AnonKey = anonKey;
        Email = email;
        Password = password;
        SignUp = signUp;
        _localStack = localStack;
    }

    public Uri Url { get; }

    public string AnonKey { get; }

    /// <summary>For the assistant worker only (LocalStack's, or SUPABASE_SERVICE_ROLE_KEY); never given to the tabs.</summary>
    public string? ServiceRoleKey { get; }

    public string Email { get; }

    public string Password { get; }

    /// <summary>Whether the demo user must be created first (LocalStack) or already exists (real project).</summary>
    public bool SignUp { get; }

    public string Description => _localStack is null
        ? $"Supabase project {Url.Host}"
        : $"embedded LocalStack at {Url} (PostgreSQL on 127.0.0.1:{_localStack.Postgres.Port}, started in {_localStack.StartupTime.TotalSeconds:F1} s)";

    public static async Task<DemoBackend> CreateAsync(CancellationToken cancellationToken)
    {
        var url = Environment.GetEnvironmentVariable("SUPABASE_URL");
        var key = Environment.GetEnvironmentVariable("SUPABASE_ANON_KEY");
        if (!string.IsNullOrEmpty(url) && !string.IsNullOrEmpty(key))
        {
            var email = Environment.GetEnvironmentVariable("SUPABASE_EMAIL");
            var password = Environment.GetEnvironmentVariable("SUPABASE_PASSWORD");
            if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password))
            {
                throw new InvalidOperationException(
                    "With SUPABASE_URL and SUPABASE_ANON_KEY set, also set SUPABASE_EMAIL and SUPABASE_PASSWORD of an existing user of that project.");
            }
            var serviceKey = Environment.GetEnvironmentVariable("SUPABASE_SERVICE_ROLE_KEY");
            return new DemoBackend(new Uri(url), key, email, password, signUp: false, localStack: null, string.IsNullOrEmpty(serviceKey) ? null : serviceKey);
        }

        var stack = await LocalStackServer.StartAsync(cancellationToken: cancellationToken);
        return new DemoBackend(stack.ApiUrl, stack.AnonKey, $"demo-{Guid.NewGuid():N}@example.test", "demo-password-" + Guid.NewGuid().ToString("N")[..8], signUp: true, stack, stack.ServiceRoleKey);
    }

    public async ValueTask DisposeAsync()
    {
        if (_localStack is not null)
        {
            await _localStack.DisposeAsync();
        }
    }
}
