using EgressGuard.Policy;
using EgressGuard.Proxy;
using EgressGuard.Tunnels;

namespace EgressGuard.ThreatFeeds;

/// <summary>
/// Starts the feed pipeline with the host:
/// 1. before the listener opens: load every feed's last good download from the cache, refresh
///    the local-file feeds, and compose the policy, so the first request already sees them;
/// 2. then run the scheduler (URL feeds are fetched at once, every feed on its interval);
/// 3. on every policy change, re-check live tunnels and close those now denied.
/// </summary>
internal sealed partial class FeedRefreshService : BackgroundService
{
    private readonly FeedManager _feeds;
    private readonly FeedScheduler _scheduler;
    private readonly PolicyRecomposer _recomposer;
    private readonly TunnelRegistry _tunnels;
    private readonly ILogger<FeedRefreshService> _logger;

    public FeedRefreshService(FeedManager feeds, FeedScheduler scheduler, PolicyRecomposer recomposer, TunnelRegistry tunnels, ILogger<FeedRefreshService> logger)
    {
        _feeds = feeds;
        _scheduler = scheduler;
        _recomposer = recomposer;
        _tunnels = tunnels;
        _logger = logger;
        _recomposer.PolicyChanged += OnPolicyChanged;
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

    private void OnPolicyChanged(PolicySnapshot snapshot)
    {
        var closed = _tunnels.Enforce(snapshot);
        LogPolicyApplied(_logger, snapshot.Version, snapshot.BadIps.EntryCount, snapshot.BadDomains.Count, closed);
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Policy v{Version} in force: {IpEntries} address entries, {DomainEntries} name entries; {Closed} live tunnel(s) closed")]
    private static partial void LogPolicyApplied(ILogger logger, long version, int ipEntries, int domainEntries, int closed);
}
