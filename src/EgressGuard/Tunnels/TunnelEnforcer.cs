namespace EgressGuard.Tunnels;

/// <summary>
/// On every policy change (feed refresh, list or rule edit, quarantine), re-checks the live
/// tunnels and closes those now denied. Subscribes when the host starts, not when built.
/// </summary>
internal sealed partial class TunnelEnforcer : IHostedService
{
    private readonly PolicyRecomposer _recomposer;
    private readonly TunnelRegistry _tunnels;
    private readonly ILogger<TunnelEnforcer> _logger;

    public TunnelEnforcer(PolicyRecomposer recomposer, TunnelRegistry tunnels, ILogger<TunnelEnforcer> logger)
    {
        _recomposer = recomposer;
        _tunnels = tunnels;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _recomposer.PolicyChanged += OnPolicyChanged;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _recomposer.PolicyChanged -= OnPolicyChanged;
        return Task.CompletedTask;
    }

    private void OnPolicyChanged(PolicySnapshot snapshot)
    {
        var closed = _tunnels.Enforce(snapshot);
        LogPolicyApplied(_logger, snapshot.Version, snapshot.BadIps.EntryCount, snapshot.BadDomains.Count, closed);
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Policy v{Version} in force: {IpEntries} address entries, {DomainEntries} name entries; {Closed} live tunnel(s) closed")]
    private static partial void LogPolicyApplied(ILogger logger, long version, int ipEntries, int domainEntries, int closed);
}
