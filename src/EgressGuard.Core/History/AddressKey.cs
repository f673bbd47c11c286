namespace EgressGuard.History;

/// <summary>
/// Addresses as 16-byte big-endian keys (IPv4 as IPv4-mapped IPv6): SQLite compares BLOBs bytewise,
/// so a CIDR becomes one indexed <c>BETWEEN first AND last</c>.
/// </summary>
internal static class AddressKey
{
    public static byte[] Of(IPAddress address)
    {
        var canonical = AddressNormalizer.Canonicalize(address);
        return (canonical.AddressFamily == AddressFamily.InterNetwork ? canonical.MapToIPv6() : canonical).GetAddressBytes();
    }

    public static (byte[] First, byte[] Last) Of(IpRange range) =>
        (Of(IpNumber.ToAddress(range.IsIPv4, range.First)), Of(IpNumber.ToAddress(range.IsIPv4, range.Last)));
}
