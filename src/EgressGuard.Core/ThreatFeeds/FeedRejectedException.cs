namespace EgressGuard.ThreatFeeds;

/// <summary>A download or file that must not be applied as a whole (HTML page, mostly garbage, bad JSON).</summary>
internal sealed class FeedRejectedException : Exception
{
    public FeedRejectedException()
    {
    }

    public FeedRejectedException(string message)
        : base(message)
    {
    }

    public FeedRejectedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
