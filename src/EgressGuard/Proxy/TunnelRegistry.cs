using System.Collections.Concurrent;
using EgressGuard.Policy;
using EgressGuard.Telemetry;

namespace EgressGuard.Proxy;

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

    private readonly Interception.TlsInterceptor? _interceptor;

    public TunnelRegistry(TimeProvider time, ILogger<TunnelRegistry> logger, Interception.TlsInterceptor? interceptor = null)
    {
        _interceptor = interceptor;
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
        if (denied is null && _interceptor is { Enabled: true } && decision.IsAllowed
            && tunnel.Exchange.Interception?.StartsWith("not intercepted", StringComparison.Ordinal) == true
            && _interceptor.Choose(snapshot, tunnel.Exchange, decision with { Rule = AllowingRule(snapshot, decision, allowedBy) }, tunnel.Exchange.TlsHello?.ServerName, dialed) is { Intercept: true } choice)
        {
            // A blind tunnel the policy now wants decrypted (an inspect: always or path rule added
            // during an incident): closed, so that the client reconnects through interception.
            denied = decision with
            {
                Action = DecisionAction.Deny,
                Reason = DecisionReasons.InspectRequired,
                Rule = choice.Reason.StartsWith("path rule ", StringComparison.Ordinal) ? choice.Reason["path rule ".Length..] : choice.Reason.Split(' ')[0],
                Entry = choice.Reason,
                Approved = [],
                Detail = $"now to be decrypted ({choice.Reason}); closed so that the client reconnects through interception",
            };
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
