using EgressGuard.Tunnels;

namespace EgressGuard.Interception;

/// <summary>
/// A blind tunnel the policy now wants decrypted (an <c>inspect: always</c> or a path rule added
/// during an incident) is closed, so that the client reconnects through interception.
/// </summary>
internal sealed class InterceptionTunnelCheck : ITunnelCheck
{
    private readonly TlsInterceptor _interceptor;

    public InterceptionTunnelCheck(TlsInterceptor interceptor) => _interceptor = interceptor;

    public Decision? Check(PolicySnapshot snapshot, ProxyExchange tunnel, Decision decision, string? allowingRule, IPEndPoint dialed)
    {
        if (!_interceptor.Enabled || !decision.IsAllowed || tunnel.Interception != InterceptionOutcome.NotIntercepted
            || _interceptor.Choose(snapshot, tunnel, decision with { Rule = allowingRule }, tunnel.TlsHello?.ServerName, dialed) is not { Intercept: true } choice)
        {
            return null;
        }

        return decision with
        {
            Action = DecisionAction.Deny,
            Reason = DecisionReasons.InspectRequired,
            Rule = choice.Reason.StartsWith("path rule ", StringComparison.Ordinal) ? choice.Reason["path rule ".Length..] : choice.Reason.Split(' ')[0],
            Entry = choice.Reason,
            Approved = [],
            Detail = $"now to be decrypted ({choice.Reason}); closed so that the client reconnects through interception",
        };
    }
}
