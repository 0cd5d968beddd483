namespace StrideCampus.AiChat.LocalStack.Auth;

/// <summary>A user authenticated by a bearer token.</summary>
internal sealed record AuthenticatedUser(Guid UserId, Guid? SessionId, JwtValidation Token);
