using EgressGuard.Identity;
using EgressGuard.Lists;
using EgressGuard.Policy;
using EgressGuard.Rules;

namespace EgressGuard.Tls;

/// <summary>
/// Chooses interception for an allowed tunnel, in this order: mode off → no; the bypass list → no;
/// the rule that allowed the tunnel says <c>inspect: never|always</c>; a path (or method) rule that could
/// decide a request to this destination → yes (its paths are only visible decrypted); mode
/// <c>all</c> → yes; else no.
/// </summary>
internal static class InterceptionPlanner
{
    public static InterceptChoice Choose(InterceptMode mode, DestinationList bypass, PolicySnapshot snapshot, Decision decision, string? serverName, IPAddress? dialed, ClientIdentity client, DateTimeOffset now)
    {
        if (mode == InterceptMode.Off || decision.Target is not { } target)
        {
            return new(false, "off");
        }

        List<string> names = target.Literal is null ? [target.Host, .. decision.CanonicalNames] : [];
        var sni = serverName is { Length: > 0 } ? serverName.TrimEnd('.').ToLowerInvariant() : null;
        var otherSni = sni is not null && !names.Contains(sni, StringComparer.OrdinalIgnoreCase) ? sni : null;

        // The bypass list is matched against what the CONNECT checked (its names, its address). A
        // client-chosen SNI can only add inspection: a tunnel to a listed host whose SNI names an
        // unlisted one is not bypassed, and an SNI naming a bank never bypasses another host.
        if (bypass.Match(names, dialed) is { } entry && (otherSni is null || bypass.Match([otherSni], null) is not null))
        {
            return new(false, "bypass " + entry);
        }

        // The rule that allowed the tunnel has the last word when it says so...
        var deciding = decision.Rule is null ? null : snapshot.Rules.Rules.FirstOrDefault(r => r.Label == decision.Rule);
        if (deciding is { Inspect: not InspectMode.Default })
        {
            return new(deciding.Inspect == InspectMode.Always, $"{deciding.Label} inspect {(deciding.Inspect == InspectMode.Always ? "always" : "never")}");
        }

        // ...else a path rule that could decide a request of this tunnel needs to see it.
        if (otherSni is not null)
        {
            names.Add(otherSni);
        }

        foreach (var rule in snapshot.Rules.Rules)
        {
            if (rule == deciding || rule.Kind == RuleKind.Default)
            {
                break;
            }

            if (rule.IsPerRequest && rule.AppliesTo(target.Port, client, now) && rule.MatchesDestination(names, dialed))
            {
                return new(true, "path rule " + rule.Label);
            }
        }

        return mode == InterceptMode.All ? new(true, "all") : new(false, "no rule asks");
    }
}
