namespace EgressGuard.Lists;

/// <summary>
/// A configured list of destinations: names (<c>bank.example</c>, <c>*.bank.example</c>,
/// <c>.bank.example</c>, as in the domain lists) and address ranges. It serves the lists that
/// exempt destinations from a treatment: the interception bypass (<c>Tls:Intercept:Bypass</c>:
/// banking, health, apps that pin their certificates) and the parent-proxy exceptions
/// (<c>Upstream:Direct</c>).
/// </summary>
internal sealed class DestinationList
{
    private readonly DomainSet _names;
    private readonly IpRangeIndex _addresses;

    private DestinationList(DomainSet names, IpRangeIndex addresses)
    {
        _names = names;
        _addresses = addresses;
    }

    public static DestinationList Empty { get; } = new(DomainSet.Empty, IpRangeIndex.Empty);

    /// <summary>Parses <paramref name="entries"/>; each bad one is reported under <paramref name="keyOf"/> (its index → its configuration key).</summary>
    public static DestinationList Parse(IReadOnlyList<string> entries, Func<int, string> keyOf, List<string> errors)
    {
        var names = new DomainSetBuilder();
        var addresses = new IpRangeIndexBuilder();
        // The source is never reported: a match names its entry.
        var source = addresses.AddSource("destinations");
        for (var i = 0; i < entries.Count; i++)
        {
            var text = entries[i]?.Trim() ?? string.Empty;
            if (IpNetworkParser.TryParse(text, out var range, out _, out _))
            {
                addresses.Add(source, range);
            }
            else if (DomainPattern.TryParse(text, out var pattern, out var error))
            {
                names.Add(pattern, "destinations");
            }
            else
            {
                errors.Add($"{keyOf(i)} = '{text}': {error}");
            }
        }

        return new DestinationList(names.Build(), addresses.Build());
    }

    /// <summary>The entry that covers one of <paramref name="names"/> or <paramref name="address"/>, or null.</summary>
    public string? Match(IReadOnlyList<string> names, IPAddress? address)
    {
        foreach (var name in names)
        {
            if (_names.TryMatch(name, out var match))
            {
                return match.Entry;
            }
        }

        return MatchAddress(address);
    }

    /// <summary>The entry that covers <paramref name="name"/> or <paramref name="address"/>, or null.</summary>
    public string? Match(string name, IPAddress? address) =>
        _names.TryMatch(name, out var match) ? match.Entry : MatchAddress(address);

    private string? MatchAddress(IPAddress? address) =>
        address is not null && _addresses.TryMatch(AddressNormalizer.Canonicalize(address), out var hit) ? hit.Entry.ToString() : null;
}
