namespace EgressGuard.Dialing;

/// <summary>
/// <c>Upstream</c>: an HTTP CONNECT parent proxy for allowed traffic (Squid's
/// <c>cache_peer … parent</c> + <c>never_direct</c>, with <c>always_direct</c> as
/// <see cref="Direct"/>). The decision is always made here first; the parent only carries what was
/// allowed, to the address that was checked. Validated at start by <see cref="UpstreamValidation"/>.
/// </summary>
internal sealed class UpstreamOptions
{
    public const string Section = "Upstream";

    /// <summary>
    /// <c>Upstream:Proxy</c>: the parent as <c>host:port</c> or <c>ip:port</c> (an <c>http://</c>
    /// prefix is accepted). A host name is resolved once at start, so the parent's own address
    /// never depends on a client's request. Default null: every allowed exchange is dialled directly.
    /// </summary>
    public string? Proxy { get; set; }

    /// <summary>
    /// <c>Upstream:ProxyCredentialsFile</c>: one line <c>user:password</c>, sent as
    /// <c>Proxy-Authorization: Basic</c> on every CONNECT to the parent. Must be readable by the
    /// proxy user only (mode 0600), like every other secret file. Default null: no credentials.
    /// </summary>
    public string? ProxyCredentialsFile { get; set; }

    /// <summary>
    /// <c>Upstream:Direct</c>: destinations dialled directly even with a parent: host names
    /// (<c>intranet.example</c>; <c>.example</c> for the name and every subdomain, <c>*.example</c> for
    /// subdomains only: the same <see cref="Lists.DestinationList"/> as the interception bypass) matched on the
    /// requested name, and IP addresses or CIDRs (<c>10.0.0.0/8</c>) matched on the approved
    /// address. Default empty.
    /// </summary>
    public List<string> Direct { get; set; } = [];

    /// <summary>
    /// <c>Upstream:Parents</c>: named parent proxies (<c>{ "eu": { "Address": "eu.proxy.example:3128" } }</c>)
    /// that a rule sends its traffic through with <c>"upstream": "eu"</c>. A name is letters, digits,
    /// '-', '_' or '.', and never <c>direct</c>; it is the value of <c>egressguard.upstream</c> for
    /// what the parent carried. Every node of a fleet needs the same names, or the fleet's rules do
    /// not compile there. Default empty: rules can choose only <c>direct</c>.
    /// </summary>
    public Dictionary<string, ParentOptions> Parents { get; set; } = new(StringComparer.Ordinal);
}
