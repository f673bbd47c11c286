namespace EgressGuard.Lists;

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

    internal DomainSet(Dictionary<string, DomainMatch> exact, Dictionary<string, DomainMatch> subdomains)
    {
        _exact = exact;
        _subdomains = subdomains;
        _exactLookup = exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _subLookup = subdomains.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static DomainSet Empty { get; } = new DomainSetBuilder().Build();

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

    /// <summary>Every key with its match: <c>Subdomains</c> false for a name matched itself, true for the names under it.</summary>
    public IEnumerable<(string Name, bool Subdomains, DomainMatch Match)> Entries() =>
        _exact.Select(e => (e.Key, false, e.Value)).Concat(_subdomains.Select(e => (e.Key, true, e.Value)));
}
