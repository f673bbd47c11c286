namespace EgressGuard.ThreatFeeds;

internal enum FetchStatus
{
    Updated,
    NotModified,
    Failed,
}

/// <summary>What one fetch of a feed source brought back.</summary>
internal sealed record FetchResult(FetchStatus Status, string? Text, string? ETag, DateTimeOffset? LastModified, string? Error)
{
    public static FetchResult Failure(string error) => new(FetchStatus.Failed, null, null, null, error);
}

/// <summary>Validators from the last good fetch, sent back as If-None-Match / If-Modified-Since.</summary>
internal sealed record FetchValidators(string? ETag, DateTimeOffset? LastModified);
