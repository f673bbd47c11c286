namespace EgressGuard.Resolution;

/// <summary>Configuration section <c>Dns</c>.</summary>
internal sealed class DnsOptions
{
    public const string Section = "Dns";

    /// <summary>
    /// DNS servers as <c>ip:port</c> (port defaults to 53). Empty (default) uses the system's
    /// servers from /etc/resolv.conf (or the OS equivalent).
    /// </summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>Time to wait for one server's answer. Default 2 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Retries per query after a timeout. Default 1.</summary>
    public int Retries { get; set; } = 1;

    /// <summary>Upper bound on how long an answer is cached, whatever its TTL. Default 5 min.</summary>
    public TimeSpan MaxCacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long NXDOMAIN and empty answers are cached. Default 10 s; 0 disables.</summary>
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most names followed in a CNAME chain before giving up. Default 8.</summary>
    public int MaxCnameChain { get; set; } = 8;

    /// <summary>Which family to dial first when a name has both. Default IPv4.</summary>
    public AddressPreference Prefer { get; set; } = AddressPreference.IPv4;
}
