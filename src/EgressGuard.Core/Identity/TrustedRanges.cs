namespace EgressGuard.Identity;

/// <summary>The client ranges that may use the proxy at all (<c>Proxy:TrustedClients</c>); addresses arrive canonical.</summary>
internal sealed class TrustedRanges(IEnumerable<IpRange> ranges)
{
    private readonly IpRange[] _ranges = [.. ranges];

    public bool Contains(System.Net.IPAddress canonical)
    {
        var value = IpNumber.ToNumber(canonical);
        var isV4 = canonical.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        foreach (var range in _ranges)
        {
            if (range.IsIPv4 == isV4 && range.First <= value && value <= range.Last)
            {
                return true;
            }
        }

        return false;
    }
}
