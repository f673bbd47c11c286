namespace EgressGuard.ThreatFeeds;

/// <summary>Fetches a feed's text from a file or an http(s) URL.</summary>
internal interface IFeedFetcher
{
    Task<FetchResult> FetchAsync(FeedOptions feed, string baseDirectory, FetchValidators? validators, CancellationToken cancellationToken);
}
