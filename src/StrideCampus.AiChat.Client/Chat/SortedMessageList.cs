namespace StrideCampus.AiChat.Client.Chat;

/// <summary>
/// A session's messages in (created_at, id) order, changed in place by the store under its lock, in chunks of at
/// most <see cref="ChunkSize"/>. A snapshot shares the chunks and freezes them; the next change copies only the
/// chunk it touches. So a change costs a binary search and an array write, a snapshot after one change costs one
/// chunk and the chunk table (not the whole list, nor a tree path per change), and a burst of changes between two
/// snapshots costs one of each.
/// </summary>
internal sealed class SortedMessageList
{
    internal const int ChunkSize = 32;

    private static readonly MessageListSnapshot Empty = new([], []);

    // Every chunk is non-empty; chunks are in order.
    private readonly List<MessageChunk> _chunks = [];
    private MessageListSnapshot? _frozen = Empty;

    public int Count { get; private set; }

    public ChatMessage? Last => _chunks.Count > 0 ? _chunks[^1].Last : null;

    /// <summary>An immutable view of the current order (the same instance until the next change).</summary>
    public IReadOnlyList<ChatMessage> Freeze()
    {
        if (_frozen is null)
        {
            var chunks = new MessageChunk[_chunks.Count];
            var starts = new int[_chunks.Count];
            var start = 0;
            for (var i = 0; i < chunks.Length; i++)
            {
                var chunk = _chunks[i];
                chunk.IsFrozen = true;
                chunks[i] = chunk;
                starts[i] = start;
                start += chunk.Count;
            }

            _frozen = new MessageListSnapshot(chunks, starts);
        }

        return _frozen;
    }

    /// <summary>Replaces <paramref name="before"/> with <paramref name="after"/>, which sort the same; false when it is not held.</summary>
    public bool TryReplace(ChatMessage before, ChatMessage after)
    {
        if (!TryFind(before, out var chunkIndex, out var index))
        {
            return false;
        }

        Writable(chunkIndex).Set(index, after);
        return true;
    }

    /// <summary>Inserts in order; a message that sorts equal to one held replaces it.</summary>
    public void Add(ChatMessage item)
    {
        if (_chunks.Count == 0)
        {
            _chunks.Add(new MessageChunk());
            Writable(0).Insert(0, item);
            Count++;
            return;
        }

        // Messages mostly arrive in order: the last chunk, at its end.
        var chunkIndex = _chunks.Count - 1;
        if (_chunks[chunkIndex].CompareLastTo(item, item.CreatedAt.UtcTicks) > 0)
        {
            chunkIndex = ChunkFor(item);
        }

        var chunk = _chunks[chunkIndex];
        var index = chunk.IndexOf(item);
        if (index >= 0)
        {
            Writable(chunkIndex).Set(index, item);
            return;
        }

        index = ~index;
        if (chunk.Count == ChunkSize)
        {
            // Appending past a full last chunk starts a new one; anywhere else the chunk splits in half.
            if (chunkIndex == _chunks.Count - 1 && index == ChunkSize)
            {
                _chunks.Add(new MessageChunk());
                chunkIndex++;
                index = 0;
            }
            else
            {
                var (left, right) = chunk.Split();
                _chunks[chunkIndex] = left;
                _chunks.Insert(chunkIndex + 1, right);
                if (index > left.Count)
                {
                    chunkIndex++;
                    index -= left.Count;
                }
            }
        }

        Writable(chunkIndex).Insert(index, item);
        Count++;
    }

    public void Remove(ChatMessage item)
    {
        if (!TryFind(item, out var chunkIndex, out var index))
        {
            return;
        }

        var chunk = Writable(chunkIndex);
        chunk.RemoveAt(index);
        if (chunk.Count == 0)
        {
            _chunks.RemoveAt(chunkIndex);
        }

        Count--;
    }

    public void Clear()
    {
        _chunks.Clear();
        Count = 0;
        _frozen = Empty;
    }

    /// <summary>The chunk, copied first if a snapshot shares it; the list is changing, so the snapshot is dropped.</summary>
    private MessageChunk Writable(int chunkIndex)
    {
        _frozen = null;
        var chunk = _chunks[chunkIndex];
        if (chunk.IsFrozen)
        {
            _chunks[chunkIndex] = chunk = chunk.Copy();
        }

        return chunk;
    }

    private bool TryFind(ChatMessage item, out int chunkIndex, out int index)
    {
        index = -1;
        chunkIndex = _chunks.Count == 0 ? -1 : ChunkFor(item);
        if (chunkIndex >= 0)
        {
            index = _chunks[chunkIndex].IndexOf(item);
        }

        return index >= 0;
    }

    /// <summary>The first chunk whose last message does not sort before <paramref name="item"/> (else the last chunk).</summary>
    private int ChunkFor(ChatMessage item)
    {
        var time = item.CreatedAt.UtcTicks;
        int low = 0, high = _chunks.Count - 1;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_chunks[mid].CompareLastTo(item, time) < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
