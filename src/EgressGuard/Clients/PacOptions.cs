namespace EgressGuard.Clients;

/// <summary>
/// Configuration section <c>Pac</c>: the proxy auto-config file served at <c>/proxy.pac</c> and
/// <c>/wpad.dat</c> on the proxy port and on the admin listener.
/// </summary>
internal sealed class PacOptions
{
    public const string Section = "Pac";

    /// <summary>Serve the PAC file. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The proxy as clients reach it, <c>host:port</c> (e.g. <c>proxy.corp.example:3128</c>). Default:
    /// <c>Proxy:Listen</c>, or, when that is a wildcard address (0.0.0.0, [::]), the host name the
    /// client used to fetch the PAC file with the listen port. Several addresses, comma-separated
    /// (<c>proxy-a.corp.example:3128, proxy-b.corp.example:3128</c>), become
    /// <c>PROXY a; PROXY b</c>: browsers fail over between a fleet's nodes in that order (still
    /// never <c>DIRECT</c>).
    /// </summary>
    public string? ProxyAddress { get; set; }

    /// <summary>
    /// Destinations clients reach without the proxy: domain names (<c>corp.example</c> exactly,
    /// <c>.corp.example</c> with its subdomains, <c>*.corp.example</c> subdomains only) and IPv4
    /// networks (<c>10.0.0.0/8</c>, matched only when the URL's host is an IPv4 literal, so that the
    /// PAC file never makes a browser resolve names itself). Default: none.
    /// </summary>
    public List<string> Direct { get; set; } = [];

    /// <summary>Single-label names (<c>http://intranet/</c>) go direct. Default true, as in most corporate PAC files.</summary>
    public bool DirectPlainHostNames { get; set; } = true;
}
