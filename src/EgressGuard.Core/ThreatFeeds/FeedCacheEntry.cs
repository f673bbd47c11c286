namespace EgressGuard.ThreatFeeds;

/// <summary>A feed's last good text as cached on disk, with the validators and time of its fetch.</summary>
internal sealed record FeedCacheEntry(string Text, string? ETag, DateTimeOffset? LastModified, DateTimeOffset FetchedAt);
