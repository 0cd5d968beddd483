namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A piece of a streamed reply relayed between a user's clients ahead of the database: <paramref name="Text"/>
/// belongs at <paramref name="Offset"/> (in UTF-16 code units) of message <paramref name="MessageId"/>.
/// </summary>
/// <param name="MessageId">The streaming message.</param>
/// <param name="SessionId">Its session.</param>
/// <param name="Offset">Where the text starts in the message's content.</param>
/// <param name="Text">The text.</param>
internal sealed record StreamDelta(Guid MessageId, Guid SessionId, int Offset, string Text);
