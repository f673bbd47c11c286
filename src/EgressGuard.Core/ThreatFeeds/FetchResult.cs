namespace EgressGuard.ThreatFeeds;

/// <summary>What one fetch of a feed source brought back.</summary>
internal sealed record FetchResult(FetchStatus Status, string? Text, string? ETag, DateTimeOffset? LastModified, string? Error)
{
    public static FetchResult Failure(string error) => new(FetchStatus.Failed, null, null, null, error);
}
