namespace EgressGuard.Proxy;

/// <summary><c>Tls:SniCheck</c>: what a TLS server name that differs from the CONNECT's host does.</summary>
internal enum SniCheckMode
{
    /// <summary>The server name is decided too; a deny closes the tunnel before a byte goes upstream.</summary>
    Enforce,

    /// <summary>Both names are recorded; nothing is closed.</summary>
    Log,

    /// <summary>The server name is not looked at.</summary>
    Off,
}
