using EgressGuard.Quarantine;

namespace EgressGuard.Tunnels;

/// <summary>
/// Runs an open tunnel (blind or intercepted) to its end, under the same controls whatever
/// opened it: registered so that a policy change or quarantine can close it, closed at
/// <c>Proxy:MaxTunnelLifetime</c>, re-checked once against a policy swapped in while it was
/// being set up; its byte counts and end reason go on the exchange.
/// </summary>
internal sealed class TunnelRunner(TunnelRegistry registry, QuarantineStore quarantine, IPolicySource policy, EgressGuardMetrics metrics, TimeProvider time, TimeSpan maxLifetime)
{
    /// <param name="decidedUnder">The snapshot the tunnel was decided against.</param>
    public async Task RunAsync(ProxyExchange exchange, ITunnelPump pump, PolicySnapshot decidedUnder)
    {
        using var lifetime = maxLifetime > TimeSpan.Zero
            ? time.CreateTimer(static p => ((ITunnelPump)p!).Close(ErrorTypes.MaxLifetime), pump, maxLifetime, Timeout.InfiniteTimeSpan)
            : null;
        var registration = registry.Register(exchange, pump);
        if (policy.Current is { } current && current.Version != decidedUnder.Version)
        {
            // The policy changed between the decision and the registration: check again.
            registry.Enforce(registration, current);
        }

        if (exchange.Client is { } source && exchange.Decision is { } decision
            && quarantine.TryGet(source.Address, out var quarantined) && !quarantine.Remediation.Allows(decision))
        {
            // Quarantined while this tunnel was dialling or being inspected: the registry's sweep missed it.
            exchange.ClosedBy = decision with { Action = DecisionAction.Deny, Reason = DecisionReasons.Quarantined, Rule = "quarantine", Entry = quarantined.Address.ToString() };
            pump.Close(DecisionReasons.Quarantined);
        }

        TunnelResult tunnel;
        metrics.TunnelOpened();
        try
        {
            tunnel = await pump.RunAsync();
        }
        finally
        {
            metrics.TunnelClosed();
            registry.Unregister(registration);
        }

        exchange.BytesUp = tunnel.BytesUp;
        exchange.BytesDown = tunnel.BytesDown;
        exchange.TunnelRelay = tunnel.Relay;
        exchange.ErrorType ??= tunnel.ErrorType;
    }
}
