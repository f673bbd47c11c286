namespace EgressGuard.Identity;

/// <summary>
/// Configuration section <c>Auth:Negotiate</c>: Kerberos (SPNEGO) proxy authentication. The proxy
/// is the acceptor: it needs its service key in a keytab, never a password or a KDC connection.
/// </summary>
internal sealed class NegotiateOptions
{
    /// <summary>
    /// The keytab holding the proxy's service key, relative to the config folder. Default: none, and
    /// then the <c>KRB5_KTNAME</c> environment variable names it (one of the two is required).
    /// Keep it mode 0600, readable by the proxy's user only: whoever reads it can impersonate the proxy.
    /// </summary>
    public string? Keytab { get; set; }

    /// <summary>
    /// The proxy's service principal, e.g. <c>HTTP/proxy.corp.example@CORP.EXAMPLE</c> (what clients
    /// ask a ticket for: <c>HTTP/</c> + the proxy host name they are configured with). Required; it
    /// must be in the keytab (checked at start). Default: none.
    /// </summary>
    public string? ServicePrincipal { get; set; }
}
