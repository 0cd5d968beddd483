using System.Diagnostics;
using StrideCampus.AiChat.Client.Chat;
using StrideCampus.AiChat.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StrideCampus.AiChat.IntegrationTests.Chat;

/// <summary>A rough, always-on measure of tab-to-tab propagation (the benchmarks under bench/ are the real figures).</summary>
[Collection(LocalStackCollection.Name)]
public sealed class ChatLatencyTests(LocalStackFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_message_added_in_one_tab_reaches_the_other_quickly()
    {
        var user = await RealtimeTestData.CreateUserAsync(fixture.Stack);
        await using var a = await ChatTab.OpenAsync(fixture.Stack, user);
        await using var b = await ChatTab.OpenAsync(fixture.Stack, user);
        var session = await a.Store.CreateSessionAsync("latency");
        await Eventually.TrueAsync(() => b.Store.GetSessionById(session.Id) is not null, "B sees the session");

        var arrivals = new System.Collections.Concurrent.ConcurrentDictionary<Guid, long>();
        using var sub = b.Store.Changes.Subscribe(c =>
        {
            if (c.Kind == ChatChangeKind.MessageCreated)
            {
                arrivals.TryAdd(c.Id, Stopwatch.GetTimestamp());
            }
        });
        var samples = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var id = Guid.NewGuid();
            var start = Stopwatch.GetTimestamp();
            await a.Store.AddMessageAsync(session.Id, $"m{i}", messageId: id);
            await Eventually.TrueAsync(() => arrivals.ContainsKey(id), $"message {i} reaches B");
            samples.Add(Stopwatch.GetElapsedTime(start, arrivals[id]).TotalMilliseconds);
        }

        samples.Sort();
        var p50 = samples[samples.Count / 2];
        var p99 = samples[^1];
        output.WriteLine($"add in A -> MessageCreated in B: p50 {p50:F1} ms, max {p99:F1} ms over {samples.Count} messages");
        Assert.True(p50 < 500, $"p50 {p50} ms");
    }
}
