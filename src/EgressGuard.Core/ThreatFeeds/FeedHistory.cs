namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Each feed's entry count over time, one point per successful load, for the console's chart and
/// <c>GET /feeds/{name}/history</c>. Bounded per feed (the oldest points go first); a run of equal
/// counts is kept as its first and last point, so an hourly feed that rarely changes covers months
/// rather than 500 hours. Not on the request path: a lock is enough.
/// </summary>
internal sealed class FeedHistory
{
    /// <summary>Points kept per feed.</summary>
    public const int Capacity = 500;

    private readonly Dictionary<string, List<FeedHistoryPoint>> _series = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public void Record(string feed, FeedHistoryPoint point)
    {
        lock (_lock)
        {
            if (!_series.TryGetValue(feed, out var series))
            {
                _series[feed] = series = [];
            }

            // Same count as the last two points: move the run's end instead of adding a point.
            if (series.Count >= 2 && Same(series[^1], point) && Same(series[^2], point))
            {
                series[^1] = point;
                return;
            }

            series.Add(point);
            if (series.Count > Capacity)
            {
                series.RemoveRange(0, series.Count - Capacity);
            }
        }
    }

    /// <summary>The feed's points, oldest first; empty for a feed with none.</summary>
    public IReadOnlyList<FeedHistoryPoint> Get(string feed)
    {
        lock (_lock)
        {
            return _series.TryGetValue(feed, out var series) ? [.. series] : [];
        }
    }

    public bool IsEmpty(string feed)
    {
        lock (_lock)
        {
            return !_series.TryGetValue(feed, out var series) || series.Count == 0;
        }
    }

    /// <summary>A copy of every series, for the file.</summary>
    public Dictionary<string, FeedHistoryPoint[]> Snapshot()
    {
        lock (_lock)
        {
            return _series.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        }
    }

    /// <summary>Takes back the series read from the file, for the feeds still configured only.</summary>
    public void Restore(IReadOnlyDictionary<string, FeedHistoryPoint[]> saved, IEnumerable<string> feeds)
    {
        lock (_lock)
        {
            foreach (var feed in feeds)
            {
                if (saved.TryGetValue(feed, out var points))
                {
                    _series[feed] = [.. points.OrderBy(p => p.At).TakeLast(Capacity)];
                }
            }
        }
    }

    private static bool Same(FeedHistoryPoint a, FeedHistoryPoint b) => a.Entries == b.Entries && a.Dropped == b.Dropped;
}
