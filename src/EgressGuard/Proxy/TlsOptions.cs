namespace EgressGuard.Proxy;

/// <summary>
/// Configuration section <c>Tls</c>: what EgressGuard reads of a tunnel's TLS ClientHello without
/// decrypting anything. On allowed CONNECT tunnels to <see cref="InspectPorts"/>, the first client
/// bytes are read (not consumed: they still go upstream) for the server name (SNI), ALPN and TLS
/// version, which every decision line and span then carries.
/// </summary>
internal sealed class TlsOptions
{
    public const string Section = "Tls";

    /// <summary>The ports inspected when <see cref="InspectPorts"/> is not configured.</summary>
    public static readonly IReadOnlyList<int> DefaultInspectPorts = [443, 8443];

    /// <summary>
    /// Ports whose tunnels are inspected. Default (unset) 443 and 8443: see <see cref="ApplyDefaults"/>.
    /// Not initialised here, because the configuration binder appends a configured list to an initial
    /// one (<c>[443]</c> would have meant 443, 8443, 443).
    /// </summary>
    public List<int> InspectPorts { get; set; } = [];

    /// <summary>
    /// How long to wait for the client's first bytes after the 200. A client that stays silent (a
    /// server-first protocol) is tunnelled as is after this. Default 2 s.
    /// </summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// When the SNI names another host than the CONNECT (domain fronting): <c>enforce</c> (default)
    /// decides the SNI name too — its domain lists, rules and resolved addresses — and closes the
    /// tunnel before a byte goes upstream if it is denied; <c>log</c> only records both names;
    /// <c>off</c> ignores it.
    /// </summary>
    public SniCheckMode SniCheck { get; set; } = SniCheckMode.Enforce;

    /// <summary>
    /// Under <c>SniCheck=enforce</c>, what becomes of a complete ClientHello without a server name:
    /// <c>allow</c> (default; clients that connect to an IP address send none) or <c>deny</c>.
    /// Either way the decision line says so (<c>egressguard.tls.sni_check</c>: <c>missing-allowed</c>
    /// or <c>missing-denied</c>).
    /// </summary>
    public MissingSniAction MissingSni { get; set; } = MissingSniAction.Allow;

    /// <summary>Close every tunnel whose SNI differs from its CONNECT host, allowed or not (strict anti-fronting). Default false.</summary>
    public bool DenyMismatch { get; set; }

    /// <summary>Close tunnels to inspected ports whose client does not start with a TLS ClientHello. Default false (raw bytes pass).</summary>
    public bool RequireTls { get; set; }

    /// <summary>Decrypting chosen tunnels (<c>Tls:Intercept</c>); off by default.</summary>
    public Interception.InterceptOptions Intercept { get; set; } = new();

    public bool Inspects(int port) => InspectPorts.Contains(port);

    /// <summary>After binding: the default ports when none are configured.</summary>
    public void ApplyDefaults()
    {
        if (InspectPorts.Count == 0)
        {
            InspectPorts.AddRange(DefaultInspectPorts);
        }
    }
}
