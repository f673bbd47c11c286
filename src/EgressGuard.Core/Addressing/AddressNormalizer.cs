namespace EgressGuard.Addressing;

/// <summary>
/// Brings an address to the form that is checked and dialled, and finds the IPv4 addresses that
/// IPv6 transition mechanisms embed in it. A listed or non-public IPv4 address must not become
/// reachable by writing it as <c>::ffff:a.b.c.d</c>, <c>::ffff:0:a.b.c.d</c>, <c>64:ff9b::a.b.c.d</c>, <c>2002:aabb:ccdd::</c>
/// or a Teredo address, so the policy checks the address and every embedded IPv4 address.
/// </summary>
internal static class AddressNormalizer
{
    private static readonly UInt128 Nat64WellKnown = UInt128.Parse("0064ff9b000000000000000000000000", System.Globalization.NumberStyles.HexNumber, null);

    /// <summary>IPv4-mapped IPv6 becomes IPv4; everything else is returned unchanged.</summary>
    public static IPAddress Canonicalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The endpoint with its address canonical (a dual-stack socket reports IPv4 clients as <c>::ffff:a.b.c.d</c>).</summary>
    public static IPEndPoint? Canonicalize(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port),
        IPEndPoint ip => ip,
        _ => null,
    };

    /// <summary>
    /// The IPv4 addresses embedded in an IPv6 address by NAT64 (64:ff9b::/96), 6to4 (2002::/16),
    /// Teredo (2001::/32: server and de-obfuscated client), SIIT's IPv4-translated form
    /// (::ffff:0:a.b.c.d) or the deprecated IPv4-compatible form (::a.b.c.d). Empty for IPv4 and
    /// for other IPv6 addresses.
    /// </summary>
    public static IPAddress[] EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || address.IsIPv4MappedToIPv6)
        {
            return [];
        }

        var value = IpNumber.ToNumber(address);
        var high32 = (uint)(value >> 96);
        if (value >> 32 == Nat64WellKnown >> 32)
        {
            return [IpNumber.FromUInt32((uint)value)];
        }

        // SIIT IPv4-translated, ::ffff:0:a.b.c.d (::ffff:0:0:0/96, RFC 2765): like the mapped form, one step over.
        if (value >> 32 == 0xffff0000)
        {
            return [IpNumber.FromUInt32((uint)value)];
        }

        if (high32 >> 16 == 0x2002)
        {
            return [IpNumber.FromUInt32((uint)(value >> 80))];
        }

        if (high32 == 0x20010000)
        {
            var server = (uint)(value >> 64);
            var client = ~(uint)value;
            return [IpNumber.FromUInt32(server), IpNumber.FromUInt32(client)];
        }

        // ::a.b.c.d (IPv4-compatible, RFC 4291 §2.5.5.1); :: and ::1 are not embeddings.
        if (value >> 32 == 0 && value > 1)
        {
            return [IpNumber.FromUInt32((uint)value)];
        }

        return [];
    }
}
