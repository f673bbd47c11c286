using EgressGuard.Tunnels;

namespace EgressGuard.Proxy;

/// <summary>
/// A live blind CONNECT tunnel that the new policy would have refused at its start because path or
/// method rules now apply to its host and port (a path rule added during an incident for
/// <c>files.example:80</c>) is closed: otherwise the requests it carries keep bypassing the rule
/// that the same CONNECT made now would meet (<see cref="InterceptionStep.RefuseBlind"/>).
/// </summary>
internal sealed class BlindTunnelRecheck(InterceptionStep interception) : ITunnelCheck
{
    public Decision? Check(PolicySnapshot snapshot, ProxyExchange tunnel, Decision decision, string? allowingRule, IPEndPoint dialed)
    {
        if (tunnel.Method != "CONNECT" || tunnel.Interception == InterceptionOutcome.Intercepted || !decision.IsAllowed)
        {
            return null;
        }

        var now = interception.RefuseBlind(snapshot, decision with { Rule = allowingRule, Approved = [dialed.Address] }, tunnel.Identity);
        return now.IsAllowed ? null : now;
    }
}
