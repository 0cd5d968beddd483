namespace StrideCampus.AiChat.Client.Auth;

/// <summary>A GoTrue user as the SDK needs it.</summary>
/// <param name="Id">The user id (<c>auth.users.id</c>, the JWT's <c>sub</c>).</param>
/// <param name="Email">The user's email, when known.</param>
public sealed record AuthUser(Guid Id, string? Email);
