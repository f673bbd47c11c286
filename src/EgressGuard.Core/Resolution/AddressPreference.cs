namespace EgressGuard.Resolution;

/// <summary>Which address family a name with both is dialled with first.</summary>
internal enum AddressPreference
{
    /// <summary>IPv4 addresses first, then IPv6 (default: most egress networks route IPv4).</summary>
    IPv4,

    /// <summary>IPv6 addresses first, then IPv4.</summary>
    IPv6,

    /// <summary>A answers then AAAA answers, each in the order the server gave them.</summary>
    Resolver,
}
