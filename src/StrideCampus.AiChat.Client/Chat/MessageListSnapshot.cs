using System.Collections;

namespace StrideCampus.AiChat.Client.Chat;

/// <summary>The messages of a session as a snapshot holds them: frozen chunks of a <see cref="SortedMessageList"/>.</summary>
internal sealed class MessageListSnapshot : IReadOnlyList<ChatMessage>
{
    private readonly MessageChunk[] _chunks;
    private readonly int[] _starts;

    public MessageListSnapshot(MessageChunk[] chunks, int[] starts)
    {
        _chunks = chunks;
        _starts = starts;
        Count = chunks.Length == 0 ? 0 : starts[^1] + chunks[^1].Count;
    }

    public int Count { get; }

    public ChatMessage this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, "outside the list");
            }

            var chunk = Array.BinarySearch(_starts, index);
            if (chunk < 0)
            {
                chunk = ~chunk - 1;
            }

            return _chunks[chunk].Items[index - _starts[chunk]];
        }
    }

    public IEnumerator<ChatMessage> GetEnumerator()
    {
        foreach (var chunk in _chunks)
        {
            for (var i = 0; i < chunk.Count; i++)
            {
                yield return chunk.Items[i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
