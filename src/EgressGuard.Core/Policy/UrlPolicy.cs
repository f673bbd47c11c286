using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Rules;

namespace EgressGuard.Policy;

/// <summary>
/// The per-request half of the ordered list, for requests whose path is known (plain
/// <c>http://</c> and requests inside intercepted tunnels). The connection was decided without
/// path rules; here the list is walked again, in order, up to the entry that decided the
/// connection: a path rule before it that matches the destination, the client and the path
/// decides the request. First match wins, as for connections: a path rule never widens what the
/// connection's own decision allowed or denied, it only refines an allowed connection.
/// </summary>
internal static class UrlPolicy
{
    /// <summary>
    /// The request's decision: <paramref name="connection"/> itself when no path rule decides, an
    /// allow naming the path rule, or a deny by it.
    /// </summary>
    /// <param name="addresses">The addresses the request may go to: a deny path rule matches when any does, an allow when all do.</param>
    /// <param name="path">The path's canonical form (<see cref="RequestPath"/>), without the query.</param>
    /// <param name="method">The request's method; rules with <c>methods</c> decide only theirs.</param>
    public static Decision Decide(PolicySnapshot snapshot, Decision connection, IReadOnlyList<IPAddress> addresses, string path, ClientIdentity client, DateTimeOffset now, string? method = null)
    {
        method = RuleMethods.Normalize(method);
        if (!connection.IsAllowed || connection.Target is not { } target || !snapshot.Rules.HasRequestRules)
        {
            return connection;
        }

        IReadOnlyList<string> names = target.Literal is null ? [target.Host, .. connection.CanonicalNames] : [];
        MatchRecord? wouldDeny = null;
        foreach (var rule in snapshot.Rules.Rules)
        {
            if (rule.Label == connection.Rule || rule.Kind == RuleKind.Default)
            {
                break; // the entry that decided the connection: nothing after it is reached
            }

            // A method rule without paths takes every path; a rule without methods every method.
            if (!rule.IsPerRequest || !rule.AppliesTo(target.Port, client, now, method ?? string.Empty) || !MatchesAny(rule, names, addresses))
            {
                continue;
            }

            var entry = rule.HasPaths ? rule.Paths.FirstOrDefault(p => p.Matches(path)).Text : method;
            if (entry is null)
            {
                continue;
            }

            if (rule.IsAllow)
            {
                return connection with { Rule = rule.Label, Upstream = rule.Upstream, Entry = entry, WouldDeny = wouldDeny ?? connection.WouldDeny };
            }

            if (rule.Mode == EnforcementMode.Report)
            {
                wouldDeny ??= new MatchRecord(rule.Label, entry, path, null, null, EnforcementMode.Report);
                continue;
            }

            return connection with
            {
                Action = DecisionAction.Deny,
                Reason = DecisionReasons.Rule,
                Rule = rule.Label,
                Entry = entry,
                Approved = [],
                Detail = (rule.HasPaths ? $"{target.Host}{path} is denied by {rule.Label} (path {entry})" : $"{method} {target.Host}{path} is denied by {rule.Label} (method {entry})")
                    + (rule.Definition.Comment is { Length: > 0 } comment ? $" ({comment})" : string.Empty)
                    + (rule.Definition.Ticket is { Length: > 0 } ticket ? $" [{ticket}]" : string.Empty),
            };
        }

        return wouldDeny is null ? connection : connection with { WouldDeny = connection.WouldDeny ?? wouldDeny };
    }

    private static bool MatchesAny(Rule rule, IReadOnlyList<string> names, IReadOnlyList<IPAddress> addresses)
    {
        if (addresses.Count == 0)
        {
            return rule.MatchesDestination(names, null);
        }

        // A deny holds if any address the request may go to matches; an allow only if all do
        // (a retry on the next approved address must not escape a rule that decided on the first).
        return rule.IsAllow
            ? addresses.All(a => rule.MatchesDestination(names, a))
            : addresses.Any(a => rule.MatchesDestination(names, a));
    }
}
