using System.Text.Json;
using StrideCampus.AiChat.Client.Realtime;

namespace StrideCampus.AiChat.Client.Tests.Realtime;

public class PresenceTrackerTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void A_leave_removes_one_presence_not_the_whole_key()
    {
        var tracker = new PresenceTracker();
        tracker.ApplyState(Json("""{"u1":{"metas":[{"phx_ref":"a","tab":1},{"phx_ref":"b","tab":2}]}}"""));
        var snapshot = tracker.ApplyDiff(Json("""{"joins":{},"leaves":{"u1":{"metas":[{"phx_ref":"a","tab":1}]}}}"""))!;
        var left = Assert.Single(snapshot.State["u1"]);
        Assert.Equal("b", left.PresenceRef);
        Assert.Equal("a", Assert.Single(snapshot.Leaves["u1"]).PresenceRef);
    }

    [Fact]
    public void Joins_add_presences_and_the_last_leave_removes_the_key()
    {
        var tracker = new PresenceTracker();
        tracker.ApplyState(Json("{}"));
        tracker.ApplyDiff(Json("""{"joins":{"u2":{"metas":[{"phx_ref":"c"}]}},"leaves":{}}"""));
        var snapshot = tracker.ApplyDiff(Json("""{"joins":{"u2":{"metas":[{"phx_ref":"d"}]}},"leaves":{}}"""))!;
        Assert.Equal(["c", "d"], snapshot.State["u2"].Select(p => p.PresenceRef));
        tracker.ApplyDiff(Json("""{"joins":{},"leaves":{"u2":{"metas":[{"phx_ref":"c"}]}}}"""));
        snapshot = tracker.ApplyDiff(Json("""{"joins":{},"leaves":{"u2":{"metas":[{"phx_ref":"d"}]}}}"""))!;
        Assert.False(snapshot.State.ContainsKey("u2"));
    }

    [Fact]
    public void Diffs_before_the_state_are_held_and_applied_after_it()
    {
        var tracker = new PresenceTracker();
        tracker.Reset();
        Assert.Null(tracker.ApplyDiff(Json("""{"joins":{"u3":{"metas":[{"phx_ref":"e"}]}},"leaves":{}}""")));
        var snapshots = tracker.ApplyState(Json("""{"u1":{"metas":[{"phx_ref":"a"}]}}"""));
        Assert.Equal(2, snapshots.Count);
        Assert.True(snapshots[^1].State.ContainsKey("u1"));
        Assert.True(snapshots[^1].State.ContainsKey("u3"));
    }

    [Fact]
    public void A_state_reports_joins_and_leaves_against_the_previous_state()
    {
        var tracker = new PresenceTracker();
        tracker.ApplyState(Json("""{"u1":{"metas":[{"phx_ref":"a"}]}}"""));
        var snapshot = Assert.Single(tracker.ApplyState(Json("""{"u2":{"metas":[{"phx_ref":"b"}]}}""")));
        Assert.True(snapshot.Joins.ContainsKey("u2"));
        Assert.True(snapshot.Leaves.ContainsKey("u1"));
        Assert.Single(snapshot.State);
    }
}
