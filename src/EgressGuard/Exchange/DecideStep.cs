using EgressGuard.Alerts;

namespace EgressGuard.Exchange;

/// <summary>
/// The policy's say on an exchange, against the one snapshot the exchange captured at its start
/// (<see cref="Capture"/>): the destination, then (for HTTP) its path. A deny is observed by the
/// alerts (and perhaps quarantine) before the caller answers, so the client's next attempt sees it.
/// </summary>
internal sealed class DecideStep(EgressPolicy policy, AlertService alerts, ProxyTelemetry telemetry, TimeProvider time)
{
    /// <summary>The snapshot one exchange is decided against, from its first check to its last.</summary>
    public PolicySnapshot Capture() => policy.Current;

    /// <summary>Decides the destination and records the decision on the exchange.</summary>
    public async ValueTask<Decision> DecideAsync(ProxyExchange exchange, Activity? activity, PolicySnapshot snapshot, Target target, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        var decision = await policy.DecideAsync(snapshot, target, exchange.Identity, cancellationToken, exchange.Method);
        telemetry.Metrics.DecisionTime(time.GetElapsedTime(start));
        Record(exchange, activity, decision);
        return decision;
    }

    /// <summary>
    /// A second name for the same connection (a TLS server name that differs from the CONNECT's
    /// host) decided like the first; not recorded: the caller says what the exchange's decision is.
    /// </summary>
    public ValueTask<Decision> DecideAlsoAsync(ProxyExchange exchange, PolicySnapshot snapshot, Target target) =>
        policy.DecideAsync(snapshot, target, exchange.Identity, CancellationToken.None, exchange.Method);

    /// <summary>
    /// The path and method rules' say on a request whose connection is allowed (plain http, or inside an
    /// intercepted tunnel), on the widest reading of its path (<see cref="RequestPath"/>). A path
    /// servers would read differently is a bad request. No path rule: the connection's decision.
    /// </summary>
    public Decision DecidePath(ProxyExchange exchange, Activity? activity, PolicySnapshot snapshot, Decision connection)
    {
        if (!snapshot.Rules.HasRequestRules)
        {
            return connection;
        }

        if (!RequestPath.TryCanonicalize(exchange.Path ?? "/", out var canonical, out var pathError))
        {
            exchange.Decision = Decision.BadRequest($"request path refused: {pathError}", connection.Target);
            return exchange.Decision;
        }

        var decision = UrlPolicy.Decide(snapshot, connection, connection.Approved, canonical, exchange.Identity, time.GetUtcNow(), exchange.Method);
        Record(exchange, activity, decision);
        return decision;
    }

    /// <summary>Makes <paramref name="decision"/> the exchange's; a deny is observed by the alerts.</summary>
    public void Record(ProxyExchange exchange, Activity? activity, Decision decision)
    {
        exchange.Decision = decision;
        if (decision.Action == DecisionAction.Deny)
        {
            alerts.Observe(exchange, activity);
        }
    }
}
