namespace EgressGuard.ThreatFeeds;

internal enum FetchStatus
{
    Updated,
    NotModified,
    Failed,
}
