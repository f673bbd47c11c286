namespace EgressGuard.Addressing;

/// <summary>
/// The built-in non-public guard: every range that is not globally reachable, after the IANA
/// special-purpose registries (RFC 6890 and successors). Cloud metadata endpoints fall in
/// link-local (169.254.169.254), CGNAT (100.100.100.200) and unique-local (fd00:ec2::254).
/// IPv4-mapped, NAT64, 6to4 and Teredo forms are caught by checking their embedded IPv4 address.
/// </summary>
internal static class NonPublicRanges
{
    public const string ListName = "guard:non-public";

    public static readonly IReadOnlyList<(string Cidr, string Category)> All =
    [
        ("0.0.0.0/8", "this-network"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared-cgnat"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "ietf-protocol"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4-relay"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "ipv4-compatible"),
        ("64:ff9b:1::/48", "nat64-local"),
        ("100::/64", "discard"),
        ("2001:2::/48", "benchmarking"),
        ("2001:10::/28", "orchid"),
        ("2001:20::/28", "orchid"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "srv6-sid"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    ];
}
