namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A run of consecutive messages of a <see cref="SortedMessageList"/>; never changed once frozen by a snapshot.
/// The creation times sit beside the messages so a search reads one small array instead of a message per step.
/// </summary>
internal sealed class MessageChunk
{
    private readonly long[] _times = new long[SortedMessageList.ChunkSize];

    public ChatMessage[] Items { get; } = new ChatMessage[SortedMessageList.ChunkSize];

    public int Count { get; private set; }

    /// <summary>Shared with a snapshot: the list copies it before a change.</summary>
    public bool IsFrozen { get; set; }

    public ChatMessage Last => Items[Count - 1];

    /// <summary>How the last message sorts against <paramref name="item"/> (its time first, without reading the message).</summary>
    public int CompareLastTo(ChatMessage item, long time)
    {
        var c = _times[Count - 1].CompareTo(time);
        return c != 0 ? c : ChatRowComparer.CompareMessages(Items[Count - 1], item);
    }

    /// <summary>The index of the message that sorts as <paramref name="item"/>, or the complement of where it would go.</summary>
    public int IndexOf(ChatMessage item)
    {
        // created_at first (UtcTicks orders DateTimeOffset), then the message itself for equal times.
        var time = item.CreatedAt.UtcTicks;
        int low = 0, high = Count - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var c = _times[mid].CompareTo(time);
            if (c == 0)
            {
                c = ChatRowComparer.CompareMessages(Items[mid], item);
            }

            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return ~low;
    }

    public void Set(int index, ChatMessage item)
    {
        Items[index] = item;
        _times[index] = item.CreatedAt.UtcTicks;
    }

    public void Insert(int index, ChatMessage item)
    {
        Array.Copy(Items, index, Items, index + 1, Count - index);
        Array.Copy(_times, index, _times, index + 1, Count - index);
        Count++;
        Set(index, item);
    }

    public void RemoveAt(int index)
    {
        Count--;
        Array.Copy(Items, index + 1, Items, index, Count - index);
        Array.Copy(_times, index + 1, _times, index, Count - index);
        Items[Count] = null!;
    }

    public MessageChunk Copy()
    {
        var copy = new MessageChunk { Count = Count };
        Array.Copy(Items, copy.Items, Count);
        Array.Copy(_times, copy._times, Count);
        return copy;
    }

    public (MessageChunk Left, MessageChunk Right) Split()
    {
        var half = Count / 2;
        var left = new MessageChunk { Count = half };
        var right = new MessageChunk { Count = Count - half };
        Array.Copy(Items, 0, left.Items, 0, half);
        Array.Copy(_times, 0, left._times, 0, half);
        Array.Copy(Items, half, right.Items, 0, Count - half);
        Array.Copy(_times, half, right._times, 0, Count - half);
        return (left, right);
    }
}
