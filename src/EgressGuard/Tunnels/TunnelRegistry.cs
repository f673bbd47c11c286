namespace EgressGuard.Tunnels;

/// <summary>
/// The live CONNECT tunnels. When a new policy is swapped in (feed refresh, list or rule change),
/// every tunnel is checked again, its requested name and CNAMEs and the address it is connected
/// to: one the new policy denies is closed at once, and its decision line says which rule did it.
/// pfBlockerNG cuts every live connection when a feed changes; this cuts only the ones that must go.
/// </summary>
internal sealed partial class TunnelRegistry
{
    private readonly ConcurrentDictionary<long, ActiveTunnel> _tunnels = new();
    private readonly ILogger<TunnelRegistry> _logger;
    private long _next;

    private readonly TimeProvider _time;

    private readonly ITunnelCheck[] _checks;

    public TunnelRegistry(TimeProvider time, ILogger<TunnelRegistry> logger, IEnumerable<ITunnelCheck>? checks = null)
    {
        _checks = checks?.ToArray() ?? [];
        _time = time;
        _logger = logger;
    }

    public int Count => _tunnels.Count;

    public long Register(ProxyExchange exchange, ITunnelPump pump)
    {
        var id = Interlocked.Increment(ref _next);
        _tunnels[id] = new ActiveTunnel(exchange, pump);
        return id;
    }

    public void Unregister(long id) => _tunnels.TryRemove(id, out _);

    /// <summary>Re-checks every tunnel against <paramref name="snapshot"/>; returns how many were closed.</summary>
    public int Enforce(PolicySnapshot snapshot)
    {
        var closed = 0;
        foreach (var (_, tunnel) in _tunnels)
        {
            closed += Check(tunnel, snapshot) ? 1 : 0;
        }

        return closed;
    }

    /// <summary>Re-checks one tunnel: for a tunnel registered while a new policy was being swapped in.</summary>
    public void Enforce(long id, PolicySnapshot snapshot)
    {
        if (_tunnels.TryGetValue(id, out var tunnel))
        {
            Check(tunnel, snapshot);
        }
    }

    /// <summary>Closes every tunnel of <paramref name="client"/> except those <paramref name="keep"/> spares (quarantine).</summary>
    public int CloseClient(System.Net.IPAddress client, Func<Decision, bool> keep, Decision closedBy)
    {
        var closed = 0;
        foreach (var (_, tunnel) in _tunnels)
        {
            var exchange = tunnel.Exchange;
            if (exchange.Client?.Address is { } address && Addressing.AddressNormalizer.Canonicalize(address).Equals(client)
                && exchange.Decision is { } decision && !keep(decision))
            {
                exchange.ClosedBy = closedBy with { Target = decision.Target };
                tunnel.Pump.Close(DecisionReasons.Quarantined);
                LogTunnelClosed(_logger, decision.Target?.ToString() ?? "-", exchange.Dialed?.ToString() ?? "-", closedBy.Rule ?? closedBy.Reason, closedBy.Entry ?? "-");
                closed++;
            }
        }

        return closed;
    }

    private bool Check(ActiveTunnel tunnel, PolicySnapshot snapshot)
    {
        var decision = tunnel.Exchange.Decision;
        if (decision?.Target is not { } target || tunnel.Exchange.Dialed is not { } dialed)
        {
            return false;
        }

        var denied = EgressPolicy.Recheck(snapshot, decision, dialed.Address, tunnel.Exchange.Identity, _time.GetUtcNow(), out var allowedBy);
        foreach (var check in _checks)
        {
            denied ??= check.Check(snapshot, tunnel.Exchange, decision, AllowingRule(snapshot, decision, allowedBy), dialed);
        }

        if (denied is null)
        {
            return false;
        }

        tunnel.Exchange.ClosedBy = denied;
        tunnel.Pump.Close(DecisionReasons.PolicyChanged);
        LogTunnelClosed(_logger, target.ToString(), dialed.ToString(), denied.Rule ?? denied.Reason, denied.Entry ?? "-");
        return true;
    }

    /// <summary>
    /// The rule that allows the tunnel now: the re-check's (names and the dialled address), else
    /// the CONNECT's own while it still exists (it may have allowed on another resolved address:
    /// without it, a tunnel kept blind by that rule's inspect: never would be closed again on every
    /// policy change).
    /// </summary>
    private static string? AllowingRule(PolicySnapshot snapshot, Decision decision, string? allowedBy) =>
        allowedBy ?? (decision.Rule is { } rule && snapshot.Rules.Rules.Any(r => r.Label == rule) ? rule : null);

    private sealed record ActiveTunnel(ProxyExchange Exchange, ITunnelPump Pump);

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Closed live tunnel to {Target} ({Dialed}): now denied by {Rule} (entry {Entry})")]
    private static partial void LogTunnelClosed(ILogger logger, string target, string dialed, string rule, string entry);
}
