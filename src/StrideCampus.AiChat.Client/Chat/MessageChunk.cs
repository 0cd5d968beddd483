namespace StrideCampus.AiChat.Client.Chat;

/// <summary>A run of consecutive messages of a <see cref="SortedMessageList"/>; never changed once frozen by a snapshot.</summary>
internal sealed class MessageChunk
{
    public ChatMessage[] Items { get; } = new ChatMessage[SortedMessageList.ChunkSize];

    public int Count { get; private set; }

    /// <summary>Shared with a snapshot: the list copies it before a change.</summary>
    public bool IsFrozen { get; set; }

    public ChatMessage Last => Items[Count - 1];

    public int IndexOf(ChatMessage item) => Array.BinarySearch(Items, 0, Count, item, ChatRowComparer.MessageOrder);

    public void Insert(int index, ChatMessage item)
    {
        Array.Copy(Items, index, Items, index + 1, Count - index);
        Items[index] = item;
        Count++;
    }

    public void RemoveAt(int index)
    {
        Count--;
        Array.Copy(Items, index + 1, Items, index, Count - index);
        Items[Count] = null!;
    }

    public MessageChunk Copy()
    {
        var copy = new MessageChunk { Count = Count };
        Array.Copy(Items, copy.Items, Count);
        return copy;
    }

    public (MessageChunk Left, MessageChunk Right) Split()
    {
        var half = Count / 2;
        var left = new MessageChunk { Count = half };
        var right = new MessageChunk { Count = Count - half };
        Array.Copy(Items, 0, left.Items, 0, half);
        Array.Copy(Items, half, right.Items, 0, Count - half);
        return (left, right);
    }
}
