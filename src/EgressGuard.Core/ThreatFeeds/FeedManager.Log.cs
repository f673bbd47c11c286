namespace EgressGuard.ThreatFeeds;

internal sealed partial class FeedManager
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Feed {Feed}: applied {Entries} entries ({Parsed} parsed, {Invalid} unreadable lines), version {Version}; hygiene {Hygiene}")]
    private static partial void LogApplied(ILogger logger, string feed, int entries, int parsed, int invalid, string version, string hygiene);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Feed {Feed}: refresh failed: {Error}; {Kept}")]
    private static partial void LogFailed(ILogger logger, string feed, string error, string kept);

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug, Message = "Feed {Feed}: not modified")]
    private static partial void LogNotModified(ILogger logger, string feed);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Feed {Feed}: format auto-detected as {Format}")]
    private static partial void LogFormatDetected(ILogger logger, string feed, string format);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Feed {Feed}: {Problem}")]
    private static partial void LogProblem(ILogger logger, string feed, string problem);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Feed {Feed}: probable false positive: {Sample}; {Outcome}")]
    private static partial void LogKnownGood(ILogger logger, string feed, string sample, string outcome);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "Feed {Feed}: {Entries} entries from the cache (fetched {FetchedAt:u})")]
    private static partial void LogCacheLoaded(ILogger logger, string feed, int entries, DateTimeOffset fetchedAt);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Feed {Feed}: cached copy unreadable: {Error}")]
    private static partial void LogCacheUnreadable(ILogger logger, string feed, string error);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Feed {Feed}: writing the cache failed: {Error}")]
    private static partial void LogCacheWriteFailed(ILogger logger, string feed, string error);
}
