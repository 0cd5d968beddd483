namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>Why a token was refused.</summary>
internal enum TokenFailure
{
    None,
    Missing,
    Malformed,
    Signature,
    Expired,
    MissingClaims,
}
