namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Starts the feed pipeline with the host:
/// 1. before the listener opens: load every feed's last good download from the cache, refresh
///    the local-file feeds, and compose the policy, so the first request already sees them;
/// 2. then run the scheduler (URL feeds are fetched at once, every feed on its interval).
/// Live tunnels are re-checked on each change by <c>Tunnels.TunnelEnforcer</c>.
/// </summary>
internal sealed class FeedRefreshService : BackgroundService
{
    private readonly FeedManager _feeds;
    private readonly FeedScheduler _scheduler;
    private readonly PolicyRecomposer _recomposer;

    /// <param name="metrics">Taken so the feeds' gauges exist while the feeds run.</param>
    public FeedRefreshService(FeedManager feeds, FeedScheduler scheduler, PolicyRecomposer recomposer, FeedMetrics metrics)
    {
        _feeds = feeds;
        _scheduler = scheduler;
        _recomposer = recomposer;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _feeds.LoadFromCache();
        foreach (var state in _feeds.States.Where(s => !s.Options.IsUrl))
        {
            await _feeds.RefreshAsync(state.Name, cancellationToken);
        }

        _recomposer.Recompose();
        await base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _scheduler.RunAsync(stoppingToken);
}
