namespace StrideCampus.AiChat.LocalStack.Rest;

/// <summary>How an embedded resource joins its parent: the related table, the foreign key, and whether it is a list.</summary>
internal sealed record EmbedTarget(DbTable Table, DbRelationship Relationship, bool ToMany);
