namespace EgressGuard.ThreatFeeds;

/// <summary>Validators from the last good fetch, sent back as If-None-Match / If-Modified-Since.</summary>
internal sealed record FetchValidators(string? ETag, DateTimeOffset? LastModified);
