namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A row reduced to its primary key (the shape of a DELETE's <c>old_record</c> under RLS).</summary>
internal sealed record ChatRowId(Guid Id);
