namespace EgressGuard.ThreatFeeds;

/// <summary>
/// One successful load of a feed: when, the entries in force after it, and how many hygiene
/// dropped (so a chart can tell a shrinking feed from a feed that hygiene now filters).
/// </summary>
internal sealed record FeedHistoryPoint(DateTimeOffset At, int Entries, int Dropped);
