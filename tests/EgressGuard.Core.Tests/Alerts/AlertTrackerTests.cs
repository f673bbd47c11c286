using System.Net;
using EgressGuard.Alerts;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.Alerts;

public sealed class AlertTrackerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);

    private static Alert Candidate(string source = "10.1.2.3", string destination = "c2.example") => new()
    {
        Id = string.Empty,
        Kind = "threat-feed",
        SourceAddress = IPAddress.Parse(source),
        Destination = destination,
        Port = 443,
        Rule = "feed:feodo",
        Category = "c2",
        FirstSeen = default,
        LastSeen = default,
    };

    [Fact]
    public void Observe_BeaconWithinWindow_OneAlertWithGrowingCount()
    {
        var clock = new FakeTimeProvider(Start);
        var tracker = new AlertTracker(new AlertOptions { DedupWindow = TimeSpan.FromMinutes(10) }, clock);

        var (first, firstIsNew) = tracker.Observe(Candidate());
        clock.Advance(TimeSpan.FromMinutes(1));
        tracker.Observe(Candidate());
        clock.Advance(TimeSpan.FromMinutes(8));
        var (third, thirdIsNew) = tracker.Observe(Candidate());

        Assert.True(firstIsNew);
        Assert.False(thirdIsNew);
        Assert.Equal(first.Id, third.Id);
        Assert.Equal(3, third.Count);
        Assert.Equal(Start, third.FirstSeen);
        Assert.Equal(Start.AddMinutes(9), third.LastSeen);
        Assert.Equal(3, Assert.Single(tracker.Recent()).Count);
    }

    [Fact]
    public void Observe_AfterWindow_NewAlertAsReminder()
    {
        var clock = new FakeTimeProvider(Start);
        var tracker = new AlertTracker(new AlertOptions { DedupWindow = TimeSpan.FromMinutes(10) }, clock);

        var (first, _) = tracker.Observe(Candidate());
        clock.Advance(TimeSpan.FromMinutes(10));
        var (second, isNew) = tracker.Observe(Candidate());

        Assert.True(isNew);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(1, second.Count);
        Assert.Equal([second.Id, first.Id], tracker.Recent().Select(a => a.Id));
    }

    [Fact]
    public void Observe_OtherSourceOrDestination_SeparateAlerts()
    {
        var tracker = new AlertTracker(new AlertOptions(), new FakeTimeProvider(Start));

        Assert.True(tracker.Observe(Candidate()).IsNew);
        Assert.True(tracker.Observe(Candidate(source: "10.1.2.4")).IsNew);
        Assert.True(tracker.Observe(Candidate(destination: "other.example")).IsNew);
        Assert.False(tracker.Observe(Candidate()).IsNew);
        Assert.Equal(3, tracker.Recent().Count);
    }

    [Fact]
    public void Recent_MoreThanKeep_OldestDropped()
    {
        var tracker = new AlertTracker(new AlertOptions { Keep = 2 }, new FakeTimeProvider(Start));
        tracker.Observe(Candidate(destination: "a.example"));
        tracker.Observe(Candidate(destination: "b.example"));
        tracker.Observe(Candidate(destination: "c.example"));

        Assert.Equal(["c.example", "b.example"], tracker.Recent().Select(a => a.Destination));
    }

    [Fact]
    public void Observe_RepeatOfEvictedAlert_NotBroughtBack()
    {
        var tracker = new AlertTracker(new AlertOptions { Keep = 1 }, new FakeTimeProvider(Start));
        tracker.Observe(Candidate(destination: "a.example"));
        tracker.Observe(Candidate(destination: "b.example"));

        var (repeat, isNew) = tracker.Observe(Candidate(destination: "a.example"));

        Assert.False(isNew);
        Assert.Equal(2, repeat.Count);
        Assert.Equal(["b.example"], tracker.Recent().Select(a => a.Destination));
        Assert.Empty(new AlertTracker(new AlertOptions { Keep = 0 }, new FakeTimeProvider(Start)).Recent());
    }

    [Fact]
    public void Summary_ReadsAsASentence()
    {
        var alert = Candidate() with { User = "alice", ResolvedAddresses = [IPAddress.Parse("203.0.113.9")], Entry = "203.0.113.9", Count = 4 };

        Assert.Equal("10.1.2.3 (alice) tried c2.example:443 [203.0.113.9], blocked by feed:feodo (entry 203.0.113.9), category c2, 4 attempts", alert.Summary);
    }
}
