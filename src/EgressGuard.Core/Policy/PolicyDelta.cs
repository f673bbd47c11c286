using EgressGuard.Lists;

namespace EgressGuard.Policy;

/// <summary>
/// The list and feed entries a snapshot has that an earlier one had not: an address range or a
/// domain key, per source and enforcement mode (so an entry that moves from report to enforce, or
/// to another feed, counts as new). What the retro-hunt checks history against on a swap, instead
/// of every entry again. Rules are not diffed: a rule can match by client, name, port or time, so
/// a rule change means a full hunt (<see cref="RulesChanged"/>).
/// </summary>
internal sealed class PolicyDelta
{
    private readonly IpRangeIndex _addresses;
    private readonly HashSet<string> _names;
    private readonly HashSet<string> _suffixes;

    private PolicyDelta(IpRangeIndex addresses, HashSet<string> names, HashSet<string> suffixes, bool rulesChanged)
    {
        _addresses = addresses;
        _names = names;
        _suffixes = suffixes;
        RulesChanged = rulesChanged;
    }

    /// <summary>New address ranges plus new domain keys.</summary>
    public int EntryCount => _addresses.EntryCount + _names.Count + _suffixes.Count;

    public bool RulesChanged { get; }

    public static PolicyDelta Between(PolicySnapshot previous, PolicySnapshot current)
    {
        var known = previous.BadIps.Entries().Select(e => (e.Rule, e.Source.Mode, e.Entry)).ToHashSet();
        var builder = new IpRangeIndexBuilder();
        var sources = new Dictionary<(string, EnforcementMode), int>();
        foreach (var entry in current.BadIps.Entries())
        {
            if (!known.Contains((entry.Rule, entry.Source.Mode, entry.Entry)))
            {
                var key = (entry.Rule, entry.Source.Mode);
                if (!sources.TryGetValue(key, out var source))
                {
                    sources[key] = source = builder.AddSource(entry.Source);
                }

                builder.Add(source, entry.Entry);
            }
        }

        var knownNames = previous.BadDomains.Entries().Select(e => (e.Name, e.Subdomains, e.Match.Rule, e.Match.Source.Mode)).ToHashSet();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var suffixes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, subdomains, match) in current.BadDomains.Entries())
        {
            if (!knownNames.Contains((name, subdomains, match.Rule, match.Source.Mode)))
            {
                (subdomains ? suffixes : names).Add(name);
            }
        }

        return new PolicyDelta(builder.Build(), names, suffixes, !ReferenceEquals(previous.Rules, current.Rules));
    }

    /// <summary>Whether a new entry covers this name (normalised, null for an IP literal) or address.</summary>
    public bool Covers(string? name, IPAddress address)
    {
        if (_addresses.Contains(address))
        {
            return true;
        }

        if (name is null || (_names.Count == 0 && _suffixes.Count == 0))
        {
            return false;
        }

        if (_names.Contains(name))
        {
            return true;
        }

        for (var dot = name.IndexOf('.'); dot >= 0; dot = name.IndexOf('.', dot + 1))
        {
            if (_suffixes.Contains(name[(dot + 1)..]))
            {
                return true;
            }
        }

        return false;
    }
}
