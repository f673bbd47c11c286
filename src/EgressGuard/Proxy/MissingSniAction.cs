namespace EgressGuard.Proxy;

/// <summary><c>Tls:MissingSni</c>: what becomes of a complete ClientHello that names no server under <c>Tls:SniCheck=enforce</c>.</summary>
internal enum MissingSniAction
{
    /// <summary>Tunnelled (the default: some clients connect to IP addresses, which carry no SNI), logged as <c>missing-allowed</c>.</summary>
    Allow,

    /// <summary>Closed before a byte goes upstream (<c>error.type: sni-missing</c>).</summary>
    Deny,
}
