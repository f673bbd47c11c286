namespace EgressGuard.ThreatFeeds.Formats;

/// <summary>Receives one content line (or token) of a feed, trimmed, with its 1-based line number.</summary>
internal delegate void FeedLineHandler(ReadOnlySpan<char> line, int number);
