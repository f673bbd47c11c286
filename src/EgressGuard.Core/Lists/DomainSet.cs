namespace EgressGuard.Lists;

/// <summary>Which list and which entry of it matched a name.</summary>
internal readonly record struct DomainMatch(ListSource Source, string Entry)
{
    public string Rule => Source.Name;
}

/// <summary>
/// Immutable set of listed domain names. Entry forms: <c>example.com</c> matches that name only;
/// <c>*.example.com</c> matches names under it but not the name itself; <c>.example.com</c>
/// matches the name and everything under it (Squid's <c>dstdomain</c> form). Lookup walks the
/// labels of the queried name: at most one hash probe per label, no allocation.
/// </summary>
internal sealed class DomainSet
{
    private readonly Dictionary<string, DomainMatch> _exact;
    private readonly Dictionary<string, DomainMatch> _subdomains;
    private readonly Dictionary<string, DomainMatch>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
    private readonly Dictionary<string, DomainMatch>.AlternateLookup<ReadOnlySpan<char>> _subLookup;

    private DomainSet(Dictionary<string, DomainMatch> exact, Dictionary<string, DomainMatch> subdomains)
    {
        _exact = exact;
        _subdomains = subdomains;
        _exactLookup = exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _subLookup = subdomains.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static DomainSet Empty { get; } = new Builder().Build();

    public int Count => _exact.Count + _subdomains.Count;

    /// <param name="name">A normalised name: lower-case ASCII, no trailing dot.</param>
    public bool TryMatch(string name, out DomainMatch match)
    {
        if (_exactLookup.TryGetValue(name, out match))
        {
            return true;
        }

        if (_subdomains.Count == 0)
        {
            return false;
        }

        var span = name.AsSpan();
        for (var dot = span.IndexOf('.'); dot >= 0; dot = span.IndexOf('.'))
        {
            span = span[(dot + 1)..];
            if (_subLookup.TryGetValue(span, out match))
            {
                return true;
            }
        }

        return false;
    }

    internal sealed class Builder
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
}
