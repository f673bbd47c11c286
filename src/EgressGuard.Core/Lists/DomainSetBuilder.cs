namespace EgressGuard.Lists;

/// <summary>Collects validated name entries of any number of sources, then builds one immutable <see cref="DomainSet"/>.</summary>
internal sealed class DomainSetBuilder
{
    private readonly Dictionary<string, DomainMatch> _exact = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DomainMatch> _subdomains = new(StringComparer.Ordinal);

    public void Add(DomainPattern pattern, string source) => Add(pattern, new ListSource(source));

    /// <summary>
    /// Adds a validated entry. The first source to name an entry keeps it, except that an
    /// enforcing source replaces a report-only one: reporting must never weaken a deny.
    /// </summary>
    public void Add(DomainPattern pattern, ListSource source)
    {
        var match = new DomainMatch(source, pattern.ToString());
        if (pattern.MatchesApex)
        {
            AddOrPromote(_exact, pattern.Name, match);
        }

        if (pattern.MatchesSubdomains)
        {
            AddOrPromote(_subdomains, pattern.Name, match);
        }
    }

    private static void AddOrPromote(Dictionary<string, DomainMatch> map, string key, DomainMatch match)
    {
        if (!map.TryAdd(key, match) && map[key].Source.Mode == EnforcementMode.Report && match.Source.Mode == EnforcementMode.Enforce)
        {
            map[key] = match;
        }
    }

    public DomainSet Build() => new(new(_exact, StringComparer.Ordinal), new(_subdomains, StringComparer.Ordinal));
}
