// Chat still reads rows straight from the wire types (ChatMessageReader, LazyMetadata, RealtimeChatChangeFeed) while
// its own side of issue 15 is rewritten in parallel: one assembly-wide using keeps those files untouched. Remove it
// once Chat sees only a typed row decoder.
global using StrideCampus.AiChat.Client.Realtime.Protocol;
