using EgressGuard.Lists;
using EgressGuard.Policy;

namespace EgressGuard.Quarantine;

/// <summary>The remediation allow-list: what a quarantined source may still reach.</summary>
internal sealed class Remediation
{
    private readonly List<DomainPattern> _names = [];
    private readonly List<IpRange> _ranges = [];

    public Remediation(IEnumerable<string> entries)
    {
        foreach (var entry in entries)
        {
            if (IpNetworkParser.TryParse(entry, out var range, out _, out _))
            {
                _ranges.Add(range);
            }
            else if (DomainPattern.TryParse(entry, out var pattern, out _))
            {
                _names.Add(pattern);
            }
        }
    }

    /// <summary>Every entry that is neither a CIDR nor a domain, with its key.</summary>
    public static void Validate(IReadOnlyList<string> entries, List<string> errors)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            if (!IpNetworkParser.TryParse(entries[i], out _, out _, out _) && !DomainPattern.TryParse(entries[i], out _, out var error))
            {
                errors.Add($"Quarantine:Remediation:{i} = '{entries[i]}': not a CIDR or a domain ({error})");
            }
        }
    }

    /// <summary>The requested name is a remediation name, or every resolved address is in a remediation range.</summary>
    public bool Allows(Decision decision)
    {
        if (decision.Target is not { } target)
        {
            return false;
        }

        if (target.Literal is null && _names.Any(p => Matches(p, target.Host)))
        {
            return true;
        }

        return decision.ResolvedAddresses.Count > 0
            && decision.ResolvedAddresses.All(a => _ranges.Any(r => r.Contains(IpRange.FromAddress(AddressNormalizer.Canonicalize(a)))));
    }

    private static bool Matches(DomainPattern pattern, string host) =>
        (pattern.MatchesApex && host == pattern.Name)
        || (pattern.MatchesSubdomains && host.EndsWith("." + pattern.Name, StringComparison.Ordinal));
}
