namespace StrideCampus.AiChat.LocalStack.Realtime;

/// <summary>The row change types postgres_changes reports.</summary>
internal enum ChangeKind
{
    Insert,
    Update,
    Delete,
}
