using StrideCampus.AiChat.Client.Chat;

namespace StrideCampus.AiChat.Client.Tests.Chat;

public class SortedMessageListTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static ChatMessage Message(int second, Guid? id = null, string content = "x") =>
        new(id ?? Guid.NewGuid(), Guid.Empty, Guid.Empty, content, true, MessageStatus.Complete, T0.AddSeconds(second), T0, null);

    [Fact]
    public void Random_changes_keep_database_order_and_every_snapshot_keeps_what_it_showed()
    {
        var random = new Random(1234);
        var list = new SortedMessageList();
        var reference = new List<ChatMessage>();
        var snapshots = new List<(IReadOnlyList<ChatMessage> Snapshot, ChatMessage[] Expected)>();
        for (var step = 0; step < 5_000; step++)
        {
            var roll = random.Next(10);
            if (roll < 5 || reference.Count == 0)
            {
                // Mostly in order, sometimes older (out-of-order events), sometimes the same time (ordered by id).
                var second = random.Next(4) == 0 ? random.Next(step + 1) : step;
                var m = Message(second);
                list.Add(m);
                reference.Add(m);
                reference.Sort(ChatRowComparer.MessageOrder);
            }
            else if (roll < 8)
            {
                var at = random.Next(reference.Count);
                var grown = reference[at] with { Content = reference[at].Content + "+" };
                Assert.True(list.TryReplace(reference[at], grown));
                reference[at] = grown;
            }
            else
            {
                var at = random.Next(reference.Count);
                list.Remove(reference[at]);
                reference.RemoveAt(at);
            }

            Assert.Equal(reference.Count, list.Count);
            if (random.Next(7) == 0)
            {
                snapshots.Add((list.Freeze(), reference.ToArray()));
            }
        }

        Assert.Equal(reference, list.Freeze());
        Assert.True(reference.Count > 3 * SortedMessageList.ChunkSize, "the test must span several chunks");
        foreach (var (snapshot, expected) in snapshots)
        {
            Assert.Equal(expected.Length, snapshot.Count);
            Assert.Equal(expected, snapshot); // enumeration
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.Same(expected[i], snapshot[i]); // indexer
            }
        }
    }

    [Fact]
    public void A_snapshot_is_reused_until_the_next_change_and_an_equal_sort_key_replaces()
    {
        var list = new SortedMessageList();
        var id = Guid.NewGuid();
        list.Add(Message(1, id, "a"));
        var first = list.Freeze();
        Assert.Same(first, list.Freeze());

        list.Add(Message(1, id, "b")); // same (created_at, id): a replacement, not a second row
        var second = list.Freeze();
        Assert.NotSame(first, second);
        Assert.Equal("a", Assert.Single(first).Content);
        Assert.Equal("b", Assert.Single(second).Content);
        Assert.False(list.TryReplace(Message(2), Message(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => second[1]);

        list.Remove(second[0]);
        Assert.Empty(list.Freeze());
        Assert.Null(list.Last);
        list.Clear();
        Assert.Empty(list.Freeze());
    }
}
