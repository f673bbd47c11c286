using EgressGuard.ThreatFeeds;

namespace EgressGuard.Tests.ThreatFeeds;

public class FeedHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    private static FeedHistoryPoint At(int hour, int entries, int dropped = 0) => new(Start.AddHours(hour), entries, dropped);

    [Fact]
    public void Record_RunOfEqualCounts_KeptAsFirstAndLastPoint()
    {
        var history = new FeedHistory();
        history.Record("f", At(0, 10));
        history.Record("f", At(1, 10));
        history.Record("f", At(2, 10));
        history.Record("f", At(3, 10));
        history.Record("f", At(4, 12));

        Assert.Equal([At(0, 10), At(3, 10), At(4, 12)], history.Get("f"));
    }

    [Fact]
    public void Record_SameEntriesOtherDropped_NewPoint()
    {
        var history = new FeedHistory();
        history.Record("f", At(0, 10));
        history.Record("f", At(1, 10));
        history.Record("f", At(2, 10, dropped: 1));

        Assert.Equal(3, history.Get("f").Count);
    }

    [Fact]
    public void Record_OverCapacity_OldestDropped()
    {
        var history = new FeedHistory();
        for (var i = 0; i < FeedHistory.Capacity + 5; i++)
        {
            history.Record("f", At(i, i));
        }

        var points = history.Get("f");
        Assert.Equal(FeedHistory.Capacity, points.Count);
        Assert.Equal(5, points[0].Entries);
        Assert.Equal(FeedHistory.Capacity + 4, points[^1].Entries);
    }

    [Fact]
    public void Restore_SavedSeries_OnlyConfiguredFeedsTakenBackInTimeOrder()
    {
        var history = new FeedHistory();
        history.Restore(new Dictionary<string, FeedHistoryPoint[]>
        {
            ["kept"] = [At(2, 20), At(1, 10)],
            ["removed"] = [At(1, 5)],
        }, ["kept", "new"]);

        Assert.Equal([At(1, 10), At(2, 20)], history.Get("kept"));
        Assert.Empty(history.Get("removed"));
        Assert.True(history.IsEmpty("new"));
    }

    [Fact]
    public async Task FeedCache_HistoryWrittenThenLoaded_SamePoints()
    {
        var dir = Path.Combine(Path.GetTempPath(), "eg-feedhistory-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cache = new FeedCache(dir);
            await cache.WriteHistoryAsync(new Dictionary<string, FeedHistoryPoint[]> { ["f"] = [At(0, 3, 1), At(1, 4)] }, default);

            var loaded = cache.LoadHistory();

            Assert.Equal([At(0, 3, 1), At(1, 4)], loaded["f"]);
            File.WriteAllText(Path.Combine(dir, "history.json"), "{not json");
            Assert.Empty(cache.LoadHistory());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
