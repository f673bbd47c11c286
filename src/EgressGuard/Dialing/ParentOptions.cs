namespace EgressGuard.Dialing;

/// <summary>
/// One entry of <c>Upstream:Parents</c>: a named parent proxy that only rules naming it
/// (<c>"upstream": "name"</c>) send traffic through (Squid's named <c>cache_peer</c> with
/// <c>cache_peer_access</c>). Validated at start by <see cref="UpstreamValidation"/>.
/// </summary>
internal sealed class ParentOptions
{
    /// <summary><c>Upstream:Parents:NAME:Address</c>: <c>host:port</c> or <c>ip:port</c>, as <c>Upstream:Proxy</c>. Required.</summary>
    public string? Address { get; set; }

    /// <summary><c>Upstream:Parents:NAME:CredentialsFile</c>: one line <c>user:password</c>, mode 0600, as <c>Upstream:ProxyCredentialsFile</c>. Default null: no credentials.</summary>
    public string? CredentialsFile { get; set; }
}
