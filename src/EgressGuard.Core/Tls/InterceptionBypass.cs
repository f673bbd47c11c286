using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Lists;

namespace EgressGuard.Tls;

/// <summary>
/// The bypass list (<c>Tls:Intercept:Bypass</c>): names (<c>bank.example</c>, <c>*.bank.example</c>,
/// <c>.bank.example</c>) and address ranges that are never decrypted, whatever a rule says:
/// banking, health, apps that pin their certificates.
/// </summary>
internal sealed class InterceptionBypass
{
    private readonly DomainSet _names;
    private readonly IpRangeIndex _addresses;

    private InterceptionBypass(DomainSet names, IpRangeIndex addresses)
    {
        _names = names;
        _addresses = addresses;
    }

    public static InterceptionBypass Empty { get; } = new(DomainSet.Empty, IpRangeIndex.Empty);

    public static InterceptionBypass Parse(IReadOnlyList<string> entries, List<string> errors)
    {
        var names = new DomainSetBuilder();
        var addresses = new IpRangeIndexBuilder();
        var source = addresses.AddSource("tls:bypass");
        for (var i = 0; i < entries.Count; i++)
        {
            var text = entries[i]?.Trim() ?? string.Empty;
            if (IpNetworkParser.TryParse(text, out var range, out _, out _))
            {
                addresses.Add(source, range);
            }
            else if (DomainPattern.TryParse(text, out var pattern, out var error))
            {
                names.Add(pattern, "tls:bypass");
            }
            else
            {
                errors.Add($"Tls:Intercept:Bypass[{i}] = '{text}': {error}");
            }
        }

        return new InterceptionBypass(names.Build(), addresses.Build());
    }

    public string? Match(IReadOnlyList<string> names, IPAddress? address)
    {
        foreach (var name in names)
        {
            if (_names.TryMatch(name, out var match))
            {
                return match.Entry;
            }
        }

        return address is not null && _addresses.TryMatch(AddressNormalizer.Canonicalize(address), out var hit) ? hit.Entry.ToString() : null;
    }
}
