using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Rules;

namespace EgressGuard.Policy;

/// <summary>
/// Path and method rules are decided per request, where the request is visible: plain
/// <c>http://</c> and intercepted tunnels. A CONNECT that will not be intercepted would carry
/// requests none of them sees (<c>CONNECT files.example:80</c>, then <c>GET /secret</c>), so an
/// allowed CONNECT is refused when an enforced deny rule decided per request applies to its host
/// and port before the entry that allowed it (the entries <see cref="UrlPolicy"/> would consult),
/// unless the rule that allowed it is about CONNECT (<c>methods: [CONNECT]</c>): an explicit
/// "tunnel here blind". Allow path rules are not counted: a blind tunnel already has the
/// connection's allow, which they could only narrow to a label.
/// </summary>
internal static class BlindTunnelCheck
{
    /// <param name="intercepted">Whether a tunnel to this approved address would be decrypted (its requests then seen one by one).</param>
    /// <returns>The deny, or null when the CONNECT may go on.</returns>
    public static Decision? Check(PolicySnapshot snapshot, Decision connection, ClientIdentity client, DateTimeOffset now, Func<IPAddress, bool> intercepted)
    {
        if (!connection.IsAllowed || connection.Target is not { } target || !snapshot.Rules.HasRequestRules)
        {
            return null;
        }

        var deciding = connection.Rule is null ? null : snapshot.Rules.Rules.FirstOrDefault(r => r.Label == connection.Rule);
        if (deciding is { IsConnectRule: true, IsAllow: true })
        {
            return null;
        }

        IReadOnlyList<string> names = target.Literal is null ? [target.Host, .. connection.CanonicalNames] : [];
        foreach (var rule in snapshot.Rules.Rules)
        {
            if (rule == deciding || rule.Kind == RuleKind.Default)
            {
                break; // nothing after the deciding entry is reached by a request either
            }

            // Any method: a tunnel may carry every one, so a method rule counts whatever its methods.
            if (!rule.IsPerRequest || rule.IsAllow || rule.Mode == EnforcementMode.Report || !rule.AppliesTo(target.Port, client, now))
            {
                continue;
            }

            // The dialer may take any approved address: each must be one the tunnel would be decrypted for.
            if (connection.Approved.FirstOrDefault(a => rule.MatchesDestination(names, a) && !intercepted(a)) is { } blind)
            {
                return connection with
                {
                    Action = DecisionAction.Deny,
                    Reason = DecisionReasons.Rule,
                    Rule = rule.Label,
                    Entry = rule.HasPaths ? rule.Paths[0].Text : string.Join(',', rule.Methods),
                    MatchedAddress = blind,
                    Approved = [],
                    Detail = $"path rules apply to {target}: {rule.Label} decides its requests one by one, and a blind tunnel would bypass them; "
                        + "a rule with methods [CONNECT] that allows it lets it through blind (or have it intercepted)",
                };
            }
        }

        return null;
    }
}
