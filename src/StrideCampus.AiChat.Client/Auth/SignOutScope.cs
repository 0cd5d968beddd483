namespace StrideCampus.AiChat.Client.Auth;

/// <summary>
/// Which sessions of the user <see cref="SupabaseAuthClient.SignOutAsync(SignOutScope, System.Threading.CancellationToken)"/>
/// ends on the server: GoTrue's <c>POST /auth/v1/logout?scope=</c> (supabase/auth <c>internal/api/logout.go</c>).
/// </summary>
public enum SignOutScope
{
    /// <summary>
    /// Every session of the user, on every device and in every app (GoTrue's default, and supabase-js's
    /// <c>signOut()</c> without options: auth-js <c>GoTrueClient.signOut</c>).
    /// </summary>
    Global = 0,

    /// <summary>Only this client's session; the user's other devices stay signed in.</summary>
    Local = 1,

    /// <summary>Every session of the user except this client's, which stays signed in.</summary>
    Others = 2,
}
