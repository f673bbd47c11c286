using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Lists;

namespace EgressGuard.Policy;

/// <summary>
/// Everything a decision reads, frozen: the bad-IP index, the bad-domain set, the guard and its
/// exemptions. Built off the request path, swapped atomically; each request reads one snapshot.
/// Evaluation order, as an admin sees it: <c>deny list:*</c> (names, then addresses) →
/// <c>deny guard:non-public</c> → <c>default allow</c>.
/// </summary>
internal sealed class PolicySnapshot
{
    public PolicySnapshot(IpRangeIndex badIps, DomainSet badDomains, IpRangeIndex? guard, IpRangeIndex exempt, long version)
    {
        BadIps = badIps;
        BadDomains = badDomains;
        Guard = guard;
        Exempt = exempt;
        Version = version;
    }

    public static PolicySnapshot Empty { get; } = new(IpRangeIndex.Empty, DomainSet.Empty, null, IpRangeIndex.Empty, 0);

    public IpRangeIndex BadIps { get; }

    public DomainSet BadDomains { get; }

    /// <summary>The non-public guard, or null when disabled.</summary>
    public IpRangeIndex? Guard { get; }

    public IpRangeIndex Exempt { get; }

    public long Version { get; }

    /// <summary>Required feeds that have never loaded: while any is missing, every request is refused (fail closed).</summary>
    public IReadOnlyList<string> MissingRequiredFeeds { get; init; } = [];

    /// <summary>
    /// A deny decision when <paramref name="name"/> is on an enforcing domain list, else null; a
    /// report-only match comes back in <paramref name="reported"/>.
    /// </summary>
    public Decision? CheckName(Target target, string name, out MatchRecord? reported)
    {
        reported = null;
        if (!BadDomains.TryMatch(name, out var match))
        {
            return null;
        }

        var record = new MatchRecord(match.Rule, match.Entry, name, match.Source.Category, match.Source.Version, match.Source.Mode) { LoadedAt = match.Source.LoadedAt };
        if (match.Source.Mode == EnforcementMode.Report)
        {
            reported = record;
            return null;
        }

        return new Decision
        {
            Action = DecisionAction.Deny,
            Reason = DecisionReasons.DomainList,
            Target = target,
            Rule = match.Rule,
            Entry = match.Entry,
            MatchedName = name,
            Matches = [record],
            Detail = name == target.Host
                ? $"{name} is on {match.Rule} (entry {match.Entry})"
                : $"{target.Host} is an alias of {name}, which is on {match.Rule} (entry {match.Entry})",
        };
    }

    /// <summary>
    /// Checks every address, and every IPv4 address embedded in one, list by list: a deny from a
    /// bad-IP list or feed wins over a guard deny so that a C2 hit is never reported as
    /// "non-public". Every matching entry is collected; entries of report-mode sources never deny
    /// but are returned as <see cref="Decision.WouldDeny"/>. Returns the deny, or null plus the
    /// matches seen when all addresses pass.
    /// </summary>
    public Decision? CheckAddresses(Target target, IReadOnlyList<IPAddress> addresses, out List<MatchRecord>? matches)
    {
        matches = null;
        Decision? denied = null;
        foreach (var address in addresses)
        {
            CollectListMatches(address, address, ref matches, ref denied, target);
            foreach (var embedded in AddressNormalizer.EmbeddedIPv4(address))
            {
                CollectListMatches(address, embedded, ref matches, ref denied, target);
            }
        }

        if (denied is not null)
        {
            return denied with { Matches = matches! };
        }

        if (Guard is null)
        {
            return null;
        }

        foreach (var address in addresses)
        {
            if (MatchGuard(address, out var form, out var match))
            {
                return new Decision
                {
                    Action = DecisionAction.Deny,
                    Reason = DecisionReasons.NonPublic,
                    Target = target,
                    Rule = NonPublicRanges.ListName,
                    Entry = match.Entry.ToString(),
                    MatchedAddress = form,
                    Matches = matches ?? [],
                    Detail = $"{Describe(address, form)} is {match.Category} ({match.Entry}), not a public address",
                };
            }
        }

        return null;
    }

    private void CollectListMatches(IPAddress address, IPAddress form, ref List<MatchRecord>? matches, ref Decision? denied, Target target)
    {
        if (!BadIps.TryMatchAll(form, out var set))
        {
            return;
        }

        for (var i = 0; i < set.Count; i++)
        {
            var match = set[i];
            (matches ??= []).Add(MatchRecord.From(match, form.ToString()));
            if (denied is null && match.Source.Mode == EnforcementMode.Enforce)
            {
                denied = new Decision
                {
                    Action = DecisionAction.Deny,
                    Reason = DecisionReasons.IpList,
                    Target = target,
                    Rule = match.Rule,
                    Entry = match.Entry.ToString(),
                    MatchedAddress = form,
                    Detail = $"{Describe(address, form)} is on {match.Rule} (entry {match.Entry})",
                };
            }
        }
    }

    private static string Describe(IPAddress address, IPAddress form) =>
        form.Equals(address) ? form.ToString() : $"{form} (embedded in {address})";

    private bool MatchGuard(IPAddress address, out IPAddress form, out IpMatch match)
    {
        form = address;
        if (!Exempt.Contains(address) && Guard!.TryMatch(address, out match))
        {
            return true;
        }

        foreach (var embedded in AddressNormalizer.EmbeddedIPv4(address))
        {
            if (!Exempt.Contains(embedded) && Guard!.TryMatch(embedded, out match))
            {
                form = embedded;
                return true;
            }
        }

        match = default;
        return false;
    }
}
